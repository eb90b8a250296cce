from django.urls import include, path

urlpatterns = [
    path("", include("apps.integrations.devlake.urls")),
]
