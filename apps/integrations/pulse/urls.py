"""Pulse's ingestion webhook and the native change and incident routes."""

from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.pulse.receivers import ChangesReceiver, IncidentsReceiver
from apps.integrations.pulse.views import IngestionView

urlpatterns = [
    path("v1/ingestion/<str:provider>", IngestionView.as_endpoint(), name="pulse-ingestion"),
    path(
        "api/v1/connections/<int:connection_id>/changes",
        ReceiverView.for_receiver(ChangesReceiver),
        name="changes",
    ),
    path(
        "api/v1/connections/<int:connection_id>/incidents",
        ReceiverView.for_receiver(IncidentsReceiver),
        name="incidents",
    ),
]
