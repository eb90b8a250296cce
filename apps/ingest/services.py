from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.ingest.models import Delivery, DeliveryStatus
from apps.ingest.redaction import redact_headers, redact_query


def record_delivery(
    *,
    route: str,
    params: Mapping[str, Any],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
    received_at: datetime | None = None,
) -> Delivery:
    """Store the raw request in its own committed transaction, before any processing."""
    with transaction.atomic():
        return Delivery.objects.create(
            route=route,
            route_params=_storable({k: str(v) for k, v in params.items()}),
            headers=_storable(redact_headers(headers)),
            query=_storable(redact_query(query)),
            body=body,
            body_size=len(body),
            received_at=received_at or timezone.now(),
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


def find_earlier_acceptance(*, delivery: Delivery) -> Delivery | None:
    """An earlier accepted delivery with the same sender-given id on the same connection."""
    if not delivery.delivery_id or delivery.connection_id is None:
        return None
    return (
        Delivery.objects.filter(
            connection_id=delivery.connection_id,
            delivery_id=delivery.delivery_id,
            status=DeliveryStatus.ACCEPTED,
        )
        .exclude(pk=delivery.pk)
        .order_by("received_at")
        .first()
    )


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


def mark_processed(*, delivery_id: int) -> None:
    Delivery.objects.filter(pk=delivery_id, processed_at__isnull=True).update(
        processed_at=timezone.now()
    )


def prune_deliveries(*, older_than: timedelta) -> int:
    cutoff = timezone.now() - older_than
    deleted, _ = (
        Delivery.objects.filter(received_at__lt=cutoff)
        .exclude(status=DeliveryStatus.ACCEPTED, processed_at__isnull=True)
        .delete()
    )
    return deleted
