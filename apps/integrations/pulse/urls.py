"""Pulse's ingestion webhook: one URL for every tool."""

from django.urls import path

from apps.integrations.pulse.views import IngestionView

urlpatterns = [
    path("v1/ingestion/<str:provider>", IngestionView.as_endpoint(), name="pulse-ingestion"),
]
