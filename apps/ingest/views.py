from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exceptions import PayloadTooLarge
from apps.ingest import pipeline
from apps.ingest.receivers import Receiver
from apps.ingest.schema import ReceiverSchema


class ReceiverView(APIView):
    """HTTP front of a receiver. Authentication happens in the pipeline, after the delivery
    is recorded, so even refused requests are visible in the inbox."""

    receiver_class: type[Receiver] | None = None
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    http_method_names = ["post", "options"]
    schema = ReceiverSchema()

    @classmethod
    def for_receiver(cls, receiver_class: type[Receiver], **kwargs: Any) -> Any:
        return csrf_exempt(cls.as_view(receiver_class=receiver_class, **kwargs))

    def post(self, request: Any, **params: Any) -> Response:
        raw: HttpRequest = request._request
        declared = raw.META.get("CONTENT_LENGTH") or "0"
        receiver = self.receiver_class()  # type: ignore[misc]
        headers, query = dict(raw.headers), dict(raw.GET.items())
        if declared.isdigit() and int(declared) > settings.DORAHUB_MAX_BODY_BYTES:
            error = PayloadTooLarge(
                f"Request body is {declared} bytes; the limit is "
                f"{settings.DORAHUB_MAX_BODY_BYTES} bytes."
            )
            return pipeline.refuse(
                receiver=receiver, params=params, headers=headers, query=query, error=error
            )
        return pipeline.receive(
            receiver=receiver, params=params, headers=headers, query=query, body=raw.body
        )
