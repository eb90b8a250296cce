"""The receiver contract: how one source's route turns a raw delivery into service calls.

Each adapter subclasses `Receiver`, names its route, chooses how the sender authenticates and
translates the payload with its input serializer. The inbox, error shape, duplicate handling and
follow-up work are the same for every source (see `pipeline.process`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ParseError, UnsupportedMediaType

from apps.connections.authentication import authenticate_for_connection
from apps.connections.models import Connection
from apps.core import strict_json
from apps.core.errors import Code


@dataclass(frozen=True)
class Inbound:
    """A delivery as receivers see it, whether it arrives over HTTP or is replayed."""

    route: str
    params: Mapping[str, Any]
    headers: Mapping[str, str]  # case-insensitive
    query: Mapping[str, str]
    body: bytes
    replay: bool = False


@dataclass
class Outcome:
    status_code: int
    body: dict[str, Any]
    duplicate: bool = False
    # What follow-up work this delivery needs, by kind: {"deployments": [ids], ...}.
    effects: dict[str, list[Any]] = field(default_factory=dict)
    # How leniently read values were read (drop-in routes), kept on the inbox row.
    readings: list[dict[str, str]] = field(default_factory=list)


class Receiver:
    route: ClassVar[str]
    # Request bodies that must be a JSON object; receivers with other bodies override `parse`.
    expects_object: ClassVar[bool] = True

    def resolve_connection(self, inbound: Inbound) -> Connection:
        params = inbound.params
        queryset = Connection.objects.select_related("project")
        if "connection_id" in params:
            return get_object_or_404(queryset, pk=params["connection_id"])
        if "connection_name" in params:
            return get_object_or_404(queryset, name=params["connection_name"])
        raise NotFound("No connection in the URL.")

    def authenticate(self, inbound: Inbound, connection: Connection) -> None:
        authenticate_for_connection(
            headers=inbound.headers, query=inbound.query, connection=connection
        )

    def delivery_id(self, inbound: Inbound) -> str:
        return (
            inbound.headers.get("Idempotency-Key") or inbound.headers.get("X-Delivery-Id") or ""
        )[:200]

    def parse(self, inbound: Inbound) -> Any:
        # Any other Content-Type is read as JSON (DevLake's curl samples send none, so curl says
        # form-urlencoded); a multipart form is never a JSON document, so say that plainly.
        if inbound.headers.get("Content-Type", "").lower().startswith("multipart/"):
            raise UnsupportedMediaType(
                inbound.headers["Content-Type"].split(";")[0],
                detail="Send the JSON document as the request body; multipart forms are not read.",
            )
        try:
            payload = strict_json.loads(inbound.body)
        except strict_json.MalformedJSON as exc:
            raise ParseError(f"Malformed JSON: {exc}", code=Code.MALFORMED_JSON) from None
        if self.expects_object and not isinstance(payload, dict):
            raise ParseError(
                f"Expected a JSON object, got a JSON {type(payload).__name__}.",
                code=Code.MALFORMED_JSON,
            )
        return payload

    def validate(
        self, serializer_class: type[serializers.Serializer], payload: Any, **context: Any
    ) -> dict[str, Any]:
        serializer = serializer_class(data=payload, context=context)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        raise NotImplementedError


RECEIVERS: dict[str, type[Receiver]] = {}


def register(cls: type[Receiver]) -> type[Receiver]:
    if cls.route in RECEIVERS and RECEIVERS[cls.route] is not cls:
        raise RuntimeError(f"two receivers for route {cls.route!r}")
    RECEIVERS[cls.route] = cls
    return cls
