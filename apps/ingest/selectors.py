from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from apps.ingest.models import Delivery, DeliveryStatus


def delivery_counts(*, connection_id: int, since: datetime) -> dict[str, int]:
    """Deliveries per status for one connection since a time (one grouped query)."""
    rows = (
        Delivery.objects.filter(connection_id=connection_id, received_at__gte=since)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}


@dataclass(frozen=True)
class DeliverySummary:
    """What the first-delivery panel shows for one connection."""

    connection_id: int
    last: Delivery | None
    last_24h: dict[str, int]

    @property
    def total_24h(self) -> int:
        return sum(self.last_24h.values())


def delivery_summary(*, connection_id: int, now: datetime | None = None) -> DeliverySummary:
    """The connection's latest delivery and its last 24 hours by status (two queries)."""
    now = now or timezone.now()
    last = (
        Delivery.objects.filter(connection_id=connection_id)
        .only(
            "id",
            "route",
            "received_at",
            "status",
            "response_status",
            "error",
            "connection_id",
        )
        .order_by("-received_at", "-id")
        .first()
    )
    return DeliverySummary(
        connection_id=connection_id,
        last=last,
        last_24h=delivery_counts(connection_id=connection_id, since=now - timedelta(hours=24)),
    )


def unprocessed_delivery_ids(*, older_than: timedelta, limit: int = 1000) -> list[int]:
    """Accepted deliveries whose derive steps never ran (the broker was down), oldest first."""
    cutoff = timezone.now() - older_than
    return list(
        Delivery.objects.filter(
            status=DeliveryStatus.ACCEPTED, processed_at__isnull=True, received_at__lt=cutoff
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def failed_delivery_ids(*, max_attempts: int, limit: int = 100) -> list[int]:
    """Deliveries whose processing raised and that have tries left, oldest first."""
    return list(
        Delivery.objects.filter(
            status=DeliveryStatus.FAILED,
            attempts__lt=max_attempts,
            connection__isnull=False,  # authenticated before it failed: replays skip that
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def project_delivery_summary(*, project_id: int, now: datetime | None = None) -> DeliverySummary:
    """The same for all of a project's connections (two queries)."""
    now = now or timezone.now()
    rows = Delivery.objects.filter(connection__project_id=project_id)
    last = (
        rows.select_related("connection")
        .only(
            "id",
            "route",
            "received_at",
            "status",
            "response_status",
            "error",
            "connection__id",
            "connection__name",
        )
        .order_by("-received_at", "-id")
        .first()
    )
    counts = (
        rows.filter(received_at__gte=now - timedelta(hours=24))
        .values("status")
        .annotate(n=Count("id"))
    )
    return DeliverySummary(
        connection_id=0, last=last, last_24h={row["status"]: row["n"] for row in counts}
    )
