from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.pagerduty.receivers import PagerDutyReceiver

urlpatterns = [
    path(
        "api/v1/connections/<int:connection_id>/pagerduty",
        ReceiverView.for_receiver(PagerDutyReceiver),
        name="pagerduty",
    ),
]
