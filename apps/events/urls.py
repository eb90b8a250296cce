from django.urls import path

from apps.events.views import activity_page

app_name = "events"

urlpatterns = [
    path("activity/", activity_page, name="activity"),
]
