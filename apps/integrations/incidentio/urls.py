from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.incidentio.receivers import IncidentIoReceiver

urlpatterns = [
    path(
        "api/v1/connections/<int:connection_id>/incidentio",
        ReceiverView.for_receiver(IncidentIoReceiver),
        name="incidentio",
    ),
]
