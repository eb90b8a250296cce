"""DORA Hub's own ingestion routes."""

from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.native.receivers import (
    ChangesReceiver,
    DeploymentsReceiver,
    IncidentsReceiver,
    IssueCloseReceiver,
    IssuesReceiver,
)

PREFIX = "api/v1/connections/<int:connection_id>/"

urlpatterns = [
    path(
        f"{PREFIX}deployments", ReceiverView.for_receiver(DeploymentsReceiver), name="deployments"
    ),
    path(f"{PREFIX}issues", ReceiverView.for_receiver(IssuesReceiver), name="issues"),
    path(
        f"{PREFIX}issues/<str:issue_key>/close",
        ReceiverView.for_receiver(IssueCloseReceiver),
        name="issue-close",
    ),
    path(f"{PREFIX}changes", ReceiverView.for_receiver(ChangesReceiver), name="changes"),
    path(f"{PREFIX}incidents", ReceiverView.for_receiver(IncidentsReceiver), name="incidents"),
]
