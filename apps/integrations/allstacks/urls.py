"""Allstacks' Custom CD route, at the path Allstacks documents so existing jobs only change host."""

from django.urls import path

from apps.ingest.views import ReceiverView
from apps.integrations.allstacks.receivers import CustomCDJobReceiver

urlpatterns = [
    path(
        "webhook/company/<str:company_id>/cicd_job",
        ReceiverView.for_receiver(CustomCDJobReceiver),
        name="allstacks-cicd-job",
    ),
]
