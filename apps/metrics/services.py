from collections.abc import Iterable
from datetime import datetime

from apps.connections.models import Project
from apps.metrics.models import DirtyDay


def mark_dirty(*, project: Project, environment: str, instants: Iterable[datetime]) -> None:
    """Note that the project-local days of `instants` need their snapshots rebuilt."""
    tz = project.tz
    days = {instant.astimezone(tz).date() for instant in instants}
    DirtyDay.objects.bulk_create(
        [DirtyDay(project=project, environment=environment, day=day) for day in days],
        ignore_conflicts=True,
    )
