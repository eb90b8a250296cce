from datetime import datetime

from django.db.models import Count

from apps.ingest.models import Delivery


def delivery_counts(*, connection_id: int, since: datetime) -> dict[str, int]:
    """Deliveries per status for one connection since a time (one grouped query)."""
    rows = (
        Delivery.objects.filter(connection_id=connection_id, received_at__gte=since)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}
