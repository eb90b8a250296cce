from typing import Any

from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apps.core.errors import Code
from apps.ingest.views import ReceiverView
from apps.integrations.pulse import providers


class IngestionView(ReceiverView):
    """Pulse's webhook, `POST /v1/ingestion/<provider>?api_key=...`: one URL for every tool,
    dispatched to that tool's receiver."""

    @classmethod
    def as_endpoint(cls) -> Any:
        return csrf_exempt(cls.as_view())

    def post(self, request: Any, **params: Any) -> Response:
        provider = params["provider"]
        receiver_class = providers.receiver_for(provider)
        if receiver_class is None:
            raise NotFound(
                f"Unknown provider {provider!r}; supported: {', '.join(providers.supported())}.",
                code=Code.UNKNOWN_PROVIDER,
            )
        self.receiver_class = receiver_class
        return super().post(request, **params)
