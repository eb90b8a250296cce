import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Field
from django.utils import timezone

from apps.ingest.models import Delivery, DeliveryStatus
from apps.ingest.redaction import redact_headers, redact_query, redact_text

if TYPE_CHECKING:
    from apps.ingest.receivers import Outcome

logger = logging.getLogger(__name__)

# A delivery a sender's retry with the same id gets the answer of: accepted (applied) or still
# pending (its receipt).
ANSWERED_OK = (DeliveryStatus.ACCEPTED, DeliveryStatus.PENDING)
FAILED_BODY = {"error": {"code": "server_error", "message": "The delivery could not be processed."}}


def record_delivery(
    *,
    route: str,
    params: Mapping[str, Any],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
    received_at: datetime | None = None,
    **answered: Any,
) -> Delivery:
    """Store the raw request in one committed statement. `answered` sets what is already
    known of it (its connection, status, answer) so that a validated or refused delivery is
    one INSERT; without it the row is `received`, to be answered by the inline road."""
    # One INSERT, committed by itself (autocommit): no transaction block around it.
    return Delivery.objects.create(
        route=route,
        route_params=_storable({k: str(v) for k, v in params.items()}),
        headers=_storable(redact_headers(headers)),
        query=_storable(redact_query(query)),
        body=body,
        body_size=len(body),
        received_at=received_at or timezone.now(),
        **answered,
    )


def _storable(values: Mapping[str, str]) -> dict[str, str]:
    """jsonb holds no NUL character: the inbox keeps such a request, NULs shown as U+FFFD (the
    pipeline then refuses it)."""
    return {
        name.replace("\x00", "\ufffd"): value.replace("\x00", "\ufffd")
        for name, value in values.items()
    }


def attach_connection(*, delivery: Delivery, connection_id: int, delivery_id: str) -> None:
    delivery.connection_id = connection_id
    delivery.delivery_id = delivery_id
    Delivery.objects.filter(pk=delivery.pk).update(
        connection_id=connection_id, delivery_id=delivery_id
    )


def find_earlier_acceptance(
    *, connection_id: int | None, delivery_id: str, but: int | None = None
) -> Delivery | None:
    """An earlier accepted (or pending) delivery with the same sender-given id on the same
    connection; `but` excludes the delivery asking."""
    if not delivery_id or connection_id is None:
        return None
    earlier = Delivery.objects.filter(
        connection_id=connection_id, delivery_id=delivery_id, status__in=ANSWERED_OK
    )
    if but is not None:
        earlier = earlier.exclude(pk=but)
    return earlier.order_by("received_at").first()


def mark_answered(
    *,
    delivery: Delivery,
    status: str,
    response_status: int,
    response_body: Any,
    effects: dict[str, list[Any]] | None = None,
    error: str = "",
    readings: list[dict[str, str]] | None = None,
) -> None:
    delivery.status = status
    delivery.response_status = response_status
    delivery.response_body = response_body
    delivery.effects = effects or {}
    delivery.error = error
    # Nothing to follow up on: the delivery is fully processed once answered.
    delivery.processed_at = None if delivery.effects else timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        response_status=response_status,
        response_body=response_body,
        effects=delivery.effects,
        error=error,
        processed_at=delivery.processed_at,
        **({"readings": readings} if readings is not None else {}),
    )


def error_message(body: Any) -> str:
    """The message of an answer in the one error shape (`{"error": {"message": ...}}`)."""
    error = (body or {}).get("error", {}) if isinstance(body, dict) else {}
    return str(error.get("message", "")) if isinstance(error, dict) else ""


def save_answers(*, deliveries: Sequence[Delivery], fields: Sequence[str]) -> None:
    """Store the answers already set on many deliveries: one UPDATE per row, sent together
    (`executemany`: psycopg pipelines them), not the CASE expression `bulk_update` compiles,
    which costs more than the writes it saves."""
    if not deliveries:
        return
    columns = [
        field for name in fields if isinstance(field := Delivery._meta.get_field(name), Field)
    ]
    table = connection.ops.quote_name(Delivery._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(c.attname)} = %s" for c in columns)
    rows = [
        [c.get_db_prep_save(getattr(delivery, c.attname), connection) for c in columns]
        + [delivery.pk]
        for delivery in deliveries
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608


def rejection_answer(*, status_code: int, body: Any) -> dict[str, Any]:
    """The inbox columns of a delivery refused with this answer (a 4xx, or a 503)."""
    return {
        "status": DeliveryStatus.REJECTED,
        "response_status": status_code,
        "response_body": body,
        "error": error_message(body),
    }


def failure_answer(*, exc: Exception) -> dict[str, Any]:
    """The inbox columns of a delivery whose processing raised unexpectedly."""
    return {
        "status": DeliveryStatus.FAILED,
        "response_status": 500,
        "response_body": FAILED_BODY,
        "error": redact_text(f"{type(exc).__name__}: {exc}")[:2000],
    }


def record_rejection(*, delivery: Delivery, status_code: int, body: Any) -> None:
    """The delivery was refused with this answer (a 4xx, or a 503 from the database)."""
    try:
        mark_answered(delivery=delivery, **rejection_answer(status_code=status_code, body=body))
    except Exception:  # the database itself may be the problem (503); the answer still stands
        logger.warning("could not mark delivery %s rejected", delivery.pk)


def record_failure(*, delivery: Delivery, exc: Exception) -> None:
    """Processing raised unexpectedly: failed, for the reconciliation to replay."""
    try:
        mark_answered(delivery=delivery, **failure_answer(exc=exc))
    except Exception:
        logger.warning("could not mark delivery %s failed", delivery.pk)


def record_outcome(*, delivery: Delivery, outcome: "Outcome") -> None:
    """The delivery was applied with this outcome: accepted, or a duplicate of what is stored."""
    mark_answered(
        delivery=delivery,
        status=DeliveryStatus.DUPLICATE if outcome.duplicate else DeliveryStatus.ACCEPTED,
        response_status=outcome.status_code,
        response_body=outcome.body,
        effects=outcome.effects,
        readings=outcome.readings or None,
    )


def prune_deliveries(*, older_than: timedelta) -> int:
    cutoff = timezone.now() - older_than
    deleted, _ = (
        Delivery.objects.filter(received_at__lt=cutoff)
        .exclude(status=DeliveryStatus.ACCEPTED, processed_at__isnull=True)
        .exclude(status=DeliveryStatus.PENDING)
        .delete()
    )
    return deleted
