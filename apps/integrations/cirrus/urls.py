from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.cirrus.receivers import CirrusReceiver

urlpatterns = [
    path(
        "api/v1/connections/<int:connection_id>/cirrus",
        ReceiverView.for_receiver(CirrusReceiver),
        name="cirrus",
    ),
]
