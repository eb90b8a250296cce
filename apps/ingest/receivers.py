"""The receiver contract: how one source's route turns a raw delivery into service calls.

Each adapter subclasses `Receiver` (or `SerializerReceiver`), names its route, declares how the
sender authenticates (`apps.ingest.authentication`) and translates the payload with its input
serializer. The inbox, error shape, duplicate handling and
follow-up work are the same for every source (see `pipeline.process`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ParseError, UnsupportedMediaType

from apps.connections.models import Connection
from apps.core import strict_json
from apps.core.errors import Code
from apps.ingest.authentication import (
    Authenticated,
    Authentication,
    ConnectionToken,
    replayed_connection,
)


@dataclass(frozen=True)
class Inbound:
    """A delivery as receivers see it, whether it arrives over HTTP or is replayed."""

    route: str
    params: Mapping[str, Any]
    headers: Mapping[str, str]  # case-insensitive
    query: Mapping[str, str]
    body: bytes
    replay: bool = False
    # When the delivery arrived: what a sender's missing finish time means, whenever it is
    # applied (in the request, by the applier later, or replayed).
    received_at: datetime = field(default_factory=lambda: timezone.now())  # a frozen clock too


@dataclass
class Outcome:
    status_code: int
    body: dict[str, Any]
    duplicate: bool = False
    # What follow-up work this delivery needs, by kind: {"deployments": [ids], ...}.
    effects: dict[str, list[Any]] = field(default_factory=dict)
    # How leniently read values were read (drop-in routes), kept on the inbox row.
    readings: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Receipt:
    """What the request path answers once a delivery is validated and stored, before it is
    applied: the identity its record will have. `status_code` is what the route's real client
    counts as success (DevLake and Cirrus: 200)."""

    body: dict[str, Any]
    status_code: int = 202
    readings: list[dict[str, str]] = field(default_factory=list)
    # The validated payload as JSON, for `Receiver.plan_stored`; None: validate again.
    validated: dict[str, Any] | None = None


@dataclass(frozen=True)
class Planned:
    """A validated delivery the applier may write together with others: consecutive deliveries
    of one connection with the same `writer` are written by one call,
    `writer(connection=..., items=[data, ...])`, which returns one Outcome per item, in order;
    `answer` dresses each in the route's own answer."""

    writer: Callable[..., list[Outcome]]
    data: Any
    answer: Callable[[Outcome], Outcome] = field(default=lambda outcome: outcome)


class Receiver:
    """One route's adapter. Declare `route` (the name stored in the inbox), `authentication`
    (how its sender proves who it is, `apps.ingest.authentication`) and implement `handle`."""

    route: ClassVar[str]
    authentication: ClassVar[Authentication] = ConnectionToken()
    # Request bodies that must be a JSON object; receivers with other bodies override `parse`.
    expects_object: ClassVar[bool] = True

    def __init__(self, *, authentication: Authentication | None = None) -> None:
        # A route may serve a receiver with another strategy (Pulse's one URL: the key names
        # the connection); the receiver is otherwise the same, route name included.
        self.strategy = authentication or self.authentication

    def authenticate(self, inbound: Inbound) -> Authenticated:
        return self.strategy.authenticate(
            params=inbound.params, headers=inbound.headers, query=inbound.query, body=inbound.body
        )

    def replay_connection(self, inbound: Inbound) -> Connection:
        return replayed_connection(inbound.params)

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
        self, serializer_class: type[serializers.Serializer[Any]], payload: Any, **context: Any
    ) -> dict[str, Any]:
        """For receivers whose one route takes several bodies (by event type)."""
        serializer = serializer_class(data=payload, context=context)
        serializer.is_valid(raise_exception=True)
        validated: dict[str, Any] = serializer.validated_data
        return validated

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt | None:
        """Validate `payload` completely without writing, and say what it will write; the
        applier then writes it (`handle`). None keeps the route on the inline road: it is
        applied in the request, because validating it needs the stored rows (a close names an
        issue that must exist)."""
        return None

    def plan(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Planned | None:
        """Validate, and say how the applier may write this delivery together with others;
        None (the default) applies it alone, with `handle`."""
        return None

    def plan_stored(
        self, *, validated: dict[str, Any], readings: list[dict[str, str]]
    ) -> Planned | None:
        """`plan` from the validated payload `check` stored (`Receipt.validated`), without
        validating the body again; None validates it again."""
        return None

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        raise NotImplementedError


class SerializerReceiver(Receiver):
    """A receiver whose body is one input serializer's: the body is validated by
    `serializer_class` (with `serializer_context`), then `apply` turns the valid data into
    service calls."""

    serializer_class: ClassVar[type[serializers.Serializer[Any]]]

    def serializer_for(self, payload: Any) -> type[serializers.Serializer[Any]]:
        return self.serializer_class

    def serializer_context(self, *, connection: Connection, inbound: Inbound) -> dict[str, Any]:
        return {}

    def validated(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Any:
        serializer = self.serializer_for(payload)(
            data=payload, context=self.serializer_context(connection=connection, inbound=inbound)
        )
        serializer.is_valid(raise_exception=True)
        return serializer

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt | None:
        serializer = self.validated(connection=connection, payload=payload, inbound=inbound)
        return Receipt(body=self.identity(serializer, inbound=inbound))

    def identity(self, serializer: Any, *, inbound: Inbound) -> dict[str, Any]:
        """The fields of the receipt that name the record the delivery will write."""
        return {}

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        serializer = self.validated(connection=connection, payload=payload, inbound=inbound)
        return self.apply(serializer, connection=connection, inbound=inbound)

    def apply(self, serializer: Any, *, connection: Connection, inbound: Inbound) -> Outcome:
        raise NotImplementedError


RECEIVERS: dict[str, type[Receiver]] = {}


def register(cls: type[Receiver]) -> type[Receiver]:
    if cls.route in RECEIVERS and RECEIVERS[cls.route] is not cls:
        raise RuntimeError(f"two receivers for route {cls.route!r}")
    RECEIVERS[cls.route] = cls
    return cls
