from typing import Any

from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import NotFound

from apps.core.errors import Code
from apps.ingest.receivers import Receiver
from apps.ingest.views import ReceiverView
from apps.integrations.pulse import providers
from apps.integrations.pulse.receivers import KEY_NAMES_CONNECTION


class IngestionView(ReceiverView):
    """Pulse's webhook, `POST /v1/ingestion/<provider>?api_key=...`: one URL for every tool,
    dispatched to that tool's receiver, the API key naming the connection."""

    # What the schema shows for the one URL (each provider's signature is checked as well).
    authentication = KEY_NAMES_CONNECTION

    @classmethod
    def as_endpoint(cls) -> Any:
        return csrf_exempt(cls.as_view())

    def make_receiver(self, **params: Any) -> Receiver:
        provider = params["provider"]
        receiver = providers.receiver_for(provider)
        if receiver is None:
            raise NotFound(
                f"Unknown provider {provider!r}; supported: {', '.join(providers.supported())}.",
                code=Code.UNKNOWN_PROVIDER,
            )
        return receiver
