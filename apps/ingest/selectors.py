from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from apps.ingest.models import Delivery


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
