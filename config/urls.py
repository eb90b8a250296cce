from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core.views import healthz
from apps.deployments.views import DeploymentListView
from apps.issues.views import IssueListView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/deployments", DeploymentListView.as_view(), name="deployment-list"),
    path("api/v1/issues", IssueListView.as_view(), name="issue-list"),
    path("", include("apps.integrations.urls")),
]

handler404 = "apps.core.exceptions.handler404"
handler500 = "apps.core.exceptions.handler500"
