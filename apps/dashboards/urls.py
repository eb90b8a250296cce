from django.urls import path

from apps.dashboards import first_delivery, views

app_name = "dashboards"

LISTS = (
    ("deployments", views.DeploymentListPage),
    ("changes", views.ChangeListPage),
    ("incidents", views.IncidentListPage),
)

urlpatterns = [
    path("", views.OverviewPage.as_view(), name="overview"),
    path("projects/<slug:slug>/", views.DashboardPage.as_view(kind="project"), name="project"),
    path(
        "projects/<slug:slug>/deliveries/",
        first_delivery.ProjectDeliveriesPoll.as_view(),
        name="project-deliveries",
    ),
    path(
        "projects/<slug:slug>/deployments/<int:pk>/",
        views.DeploymentDetailPage.as_view(),
        name="deployment",
    ),
    path(
        "projects/<slug:slug>/incidents/<int:pk>/",
        views.IncidentDetailPage.as_view(),
        name="incident",
    ),
    path("projects/<slug:slug>/ci/", views.CIPage.as_view(), name="ci"),
    path(
        "projects/<slug:slug>/incidents/<int:pk>/attribution/",
        views.AttributionView.as_view(),
        {"target": "incident"},
        name="incident_attribution",
    ),
    path(
        "projects/<slug:slug>/deployments/<int:pk>/attribution/",
        views.AttributionView.as_view(),
        {"target": "deployment"},
        name="deployment_attribution",
    ),
    path(
        "projects/<slug:slug>/decisions/<int:pk>/withdraw/",
        views.AttributionView.as_view(),
        {"target": "withdraw"},
        name="withdraw_decision",
    ),
    path("teams/<slug:slug>/", views.DashboardPage.as_view(kind="team"), name="team"),
    path(
        "projects/<slug:slug>/coverage/",
        views.CoveragePage.as_view(kind="project"),
        name="coverage",
    ),
    path(
        "teams/<slug:slug>/coverage/",
        views.CoveragePage.as_view(kind="team"),
        name="team_coverage",
    ),
]
for name, page in LISTS:
    urlpatterns += [
        path(f"projects/<slug:slug>/{name}/", page.as_view(kind="project"), name=name),
        path(f"teams/<slug:slug>/{name}/", page.as_view(kind="team"), name=f"team_{name}"),
        path(
            f"organisation/{name}/",
            page.as_view(kind="organisation"),
            name=f"organisation_{name}",
        ),
    ]
