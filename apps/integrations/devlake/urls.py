"""DevLake's URL shapes, each under three connection prefixes, plus the native routes."""

from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.devlake.receivers import (
    DeploymentsReceiver,
    IssueCloseReceiver,
    IssuesReceiver,
)

deployments = ReceiverView.for_receiver(DeploymentsReceiver)
issues = ReceiverView.for_receiver(IssuesReceiver)
close = ReceiverView.for_receiver(IssueCloseReceiver)

_DEVLAKE_PREFIXES = [
    ("api/rest/plugins/webhook/<int:connection_id>/", "devlake"),
    ("api/rest/plugins/webhook/connections/<int:connection_id>/", "devlake-conn"),
    ("api/rest/plugins/webhook/connections/by-name/<str:connection_name>/", "devlake-name"),
]

urlpatterns = [
    path("api/v1/connections/<int:connection_id>/deployments", deployments, name="deployments"),
    path("api/v1/connections/<int:connection_id>/issues", issues, name="issues"),
    path(
        "api/v1/connections/<int:connection_id>/issues/<str:issue_key>/close",
        close,
        name="issue-close",
    ),
]
for prefix, name in _DEVLAKE_PREFIXES:
    urlpatterns += [
        path(f"{prefix}deployments", deployments, name=f"{name}-deployments"),
        path(f"{prefix}issues", issues, name=f"{name}-issues"),
        path(f"{prefix}issue/<str:issue_key>/close", close, name=f"{name}-issue-close"),
    ]
