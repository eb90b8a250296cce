from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.github.receivers import GitHubReceiver

urlpatterns = [
    path(
        "api/v1/connections/<int:connection_id>/github",
        ReceiverView.for_receiver(GitHubReceiver),
        name="github",
    ),
]
