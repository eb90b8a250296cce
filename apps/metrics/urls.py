from django.urls import path

from apps.metrics.views import DoraMetricsView, DoraProjectsView

urlpatterns = [
    path("api/v1/metrics/dora", DoraMetricsView.as_view(), name="metrics-dora"),
    path("api/v1/metrics/dora/projects", DoraProjectsView.as_view(), name="metrics-dora-projects"),
]
