from django.urls import path

from apps.dashboards import first_delivery, views

app_name = "dashboards"

urlpatterns = [
    path("", views.OverviewPage.as_view(), name="overview"),
    path("projects/<slug:slug>/", views.ProjectPage.as_view(), name="project"),
    path(
        "projects/<slug:slug>/deliveries/",
        first_delivery.ProjectDeliveriesPoll.as_view(),
        name="project-deliveries",
    ),
    path(
        "projects/<slug:slug>/deployments/",
        views.DeploymentListPage.as_view(),
        name="deployments",
    ),
    path(
        "projects/<slug:slug>/deployments/<int:pk>/",
        views.DeploymentDetailPage.as_view(),
        name="deployment",
    ),
    path("projects/<slug:slug>/incidents/", views.IncidentListPage.as_view(), name="incidents"),
    path("projects/<slug:slug>/ci/", views.CIPage.as_view(), name="ci"),
    path(
        "projects/<slug:slug>/incidents/<int:pk>/",
        views.IncidentDetailPage.as_view(),
        name="incident",
    ),
]
