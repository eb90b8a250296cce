from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.jira.receivers import JiraReceiver

urlpatterns = [
    path(
        "api/v1/connections/<int:connection_id>/jira",
        ReceiverView.for_receiver(JiraReceiver),
        name="jira",
    ),
]
