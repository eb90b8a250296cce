from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import errors
from apps.core.exceptions import PayloadTooLarge
from apps.ingest import pipeline
from apps.ingest.authentication import Authentication
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

    def make_receiver(self, **params: Any) -> Receiver:
        assert self.receiver_class is not None
        return self.receiver_class()

    def declared_authentication(self) -> Authentication | None:
        """How the route authenticates, for the schema."""
        if self.receiver_class is not None:
            return self.receiver_class.authentication
        return getattr(self, "authentication", None)

    def post(self, request: Any, **params: Any) -> Response:
        raw: HttpRequest = request._request
        declared = raw.META.get("CONTENT_LENGTH") or "0"
        receiver = self.make_receiver(**params)
        headers, query = dict(raw.headers), raw.GET.dict()
        if declared.isdigit() and int(declared) > settings.DORAHUB_MAX_BODY_BYTES:
            error = PayloadTooLarge(
                f"Request body is {declared} bytes; the limit is "
                f"{settings.DORAHUB_MAX_BODY_BYTES} bytes."
            )
            return pipeline.refuse(
                receiver=receiver, params=params, headers=headers, query=query, error=error
            )
        body = raw.body
        if _is_chunked(raw):
            try:
                body = _read_chunked(raw)
            except errors.ApplicationError as error:
                return pipeline.refuse(
                    receiver=receiver, params=params, headers=headers, query=query, error=error
                )
        return pipeline.receive(
            receiver=receiver, params=params, headers=headers, query=query, body=body
        )


def _is_chunked(raw: HttpRequest) -> bool:
    encoding = raw.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and not raw.META.get("CONTENT_LENGTH")


def _read_chunked(raw: HttpRequest) -> bytes:
    """Django reads Content-Length bytes only, so a chunked body looked empty. A WSGI server
    that de-chunks says so (`wsgi.input_terminated`, gunicorn and uWSGI do): read its input up
    to the size limit. Others (runserver) cannot: answer 411 rather than an empty body."""
    limit = settings.DORAHUB_MAX_BODY_BYTES
    if not raw.META.get("wsgi.input_terminated"):
        raise errors.LengthRequired(
            "This server cannot read a chunked request body: send it with a Content-Length "
            "header (curl --data-binary @file, without -H 'Transfer-Encoding: chunked')."
        )
    body: bytes = raw.META["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise errors.TooLarge(f"Request body is over {limit} bytes; the limit is {limit} bytes.")
    return body
