from django.urls import include, path

urlpatterns = [
    path("", include("apps.integrations.native.urls")),
    path("", include("apps.integrations.devlake.urls")),
    path("", include("apps.integrations.allstacks.urls")),
    path("", include("apps.integrations.cirrus.urls")),
    path("", include("apps.integrations.pulse.urls")),
    path("", include("apps.integrations.github.urls")),
    path("", include("apps.integrations.pagerduty.urls")),
    path("", include("apps.integrations.opsgenie.urls")),
    path("", include("apps.integrations.incidentio.urls")),
    path("", include("apps.integrations.jira.urls")),
    path("", include("apps.integrations.gitlab.urls")),
]
