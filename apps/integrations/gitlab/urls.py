from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.gitlab.receivers import GitLabReceiver

urlpatterns = [
    path(
        "api/v1/connections/<int:connection_id>/gitlab",
        ReceiverView.for_receiver(GitLabReceiver),
        name="gitlab",
    ),
]
