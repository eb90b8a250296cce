from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.opsgenie.receivers import OpsgenieReceiver

urlpatterns = [
    path(
        "api/v1/connections/<int:connection_id>/opsgenie",
        ReceiverView.for_receiver(OpsgenieReceiver),
        name="opsgenie",
    ),
]
