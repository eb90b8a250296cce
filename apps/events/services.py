from datetime import datetime
from typing import Any

from django.utils import timezone

from apps.connections.models import Connection
from apps.events.models import LifecycleEvent


def event_name(*, origin: str, repo: str, event: str) -> str:
    return f"{origin}:{repo}:{event}"


def record_event(
    *,
    connection: Connection,
    repo: str,
    event: str,
    occurred_at: datetime | None,
    data: dict[str, Any],
    insight: bool = False,
) -> LifecycleEvent:
    """Record one lifecycle event; repo falls back to the project slug when unknown."""
    repo = repo or connection.project.slug
    return LifecycleEvent.objects.create(
        project_id=connection.project_id,
        connection=connection,
        origin=connection.kind,
        repo=repo,
        event=event,
        name=event_name(origin=connection.kind, repo=repo, event=event),
        occurred_at=occurred_at or timezone.now(),
        data=data,
        is_insight=insight,
    )
