"""The dirty-day marks and the recompute request: what every writer and every derive step
calls when it changed rows a metric counts, so no writer depends on the metrics app.

A mark names a project-local day of one environment whose snapshot must be rebuilt; it is
written in the same transaction as the data. The recompute request asks the metrics app to
rebuild the marked days a few seconds later (`apps.metrics.tasks.recompute_metrics`, which is
registered under RECOMPUTE_TASK): it is sent by name, because the metrics app sits above every
writer (docs/architecture.md)."""

import logging
from collections.abc import Iterable
from datetime import date, datetime

from celery import current_app
from django.conf import settings
from django.core.cache import cache

from apps.connections.models import Project
from apps.marks.models import DirtyDay

logger = logging.getLogger(__name__)

RECOMPUTE_TASK = "apps.metrics.tasks.recompute_metrics"
RECOMPUTE_PENDING_KEY = "metrics:recompute-pending"


def mark_dirty(*, project: Project, environment: str, instants: Iterable[datetime | None]) -> None:
    """Note that the project-local days of `instants` need their snapshots rebuilt (None, an
    instant not known yet, has no day)."""
    tz = project.tz
    mark_dirty_days(
        project_id=project.pk,
        environment=environment,
        days={instant.astimezone(tz).date() for instant in instants if instant is not None},
    )


def mark_dirty_days(*, project_id: int, environment: str, days: Iterable[date]) -> None:
    DirtyDay.objects.bulk_create(
        [
            DirtyDay(project_id=project_id, environment=environment, day=day)
            for day in sorted(set(days))
        ]
    )


def request_recompute() -> bool:
    """Ask for one recompute a few seconds from now, unless one is already pending: a burst of
    deliveries then costs a few recomputes, not one each. Returns whether it was sent."""
    delay = settings.DORAHUB_RECOMPUTE_DELAY_SECONDS
    if not cache.add(RECOMPUTE_PENDING_KEY, 1, timeout=delay + 30):
        return False
    recompute = current_app.tasks[RECOMPUTE_TASK]  # a KeyError here is a wiring bug: loud
    try:
        recompute.apply_async(countdown=delay)
    except Exception:  # broker down, or an eager run failing: the marks stay for reconcile
        cache.delete(RECOMPUTE_PENDING_KEY)
        logger.warning("could not run or enqueue the metrics recompute; reconcile will")
        return False
    return True


def recompute_started() -> None:
    """Called first by the recompute, so marks made from now on request the next run."""
    cache.delete(RECOMPUTE_PENDING_KEY)
