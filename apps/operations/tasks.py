"""Periodic safety nets (beat) and an admin's re-decisions: small, idempotent, retried with
backoff."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from apps.core.tasks import send_now
from apps.derive.services import rederive_project
from apps.ingest.applier import apply_all
from apps.ingest.selectors import unprocessed_delivery_ids
from apps.ingest.tasks import after_ingest
from apps.marks.services import request_recompute
from apps.metrics.services import mark_recent_days, mark_stale_time_zones, recompute_dirty

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def reconcile(older_than_seconds: int | None = None) -> dict[str, int]:
    """Apply deliveries still pending (accepted while the broker was down), re-enqueue those
    applied but never followed up, and rebuild yesterday and today of every project and
    environment."""
    applied = apply_all()
    wait = settings.DORAHUB_RECONCILE_AFTER_SECONDS
    if older_than_seconds is not None:
        wait = older_than_seconds
    stranded = unprocessed_delivery_ids(older_than=timedelta(seconds=wait))
    requeued = sum(send_now(after_ingest, delivery_id) for delivery_id in stranded)
    if stranded:
        logger.info("reconcile: re-enqueued %s of %s stranded deliveries", requeued, len(stranded))
    mark_stale_time_zones()
    mark_recent_days()
    rebuilt = recompute_dirty()
    return {
        "applied": applied,
        "stranded": len(stranded),
        "requeued": requeued,
        "days_rebuilt": rebuilt,
    }


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def rederive(project_id: int) -> None:
    """A project's incident link window changed: decide its incident links and rollbacks again
    (the steps mark the days whose figures move), then rebuild those days."""
    rederive_project(project_id=project_id)
    request_recompute()
