"""Celery tasks of the metrics: small, idempotent, retried with backoff. With no broker they
run eagerly in-process (CELERY_TASK_ALWAYS_EAGER)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from apps.core.tasks import send_now
from apps.ingest.services import unprocessed_delivery_ids
from apps.issues import linking
from apps.metrics import services

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 8}


@shared_task(**RETRY)
def recompute_metrics() -> int:
    """Rebuild the daily snapshots of every day marked dirty; returns the days rebuilt."""
    services.recompute_started()
    return services.recompute_dirty()


@shared_task(**RETRY)
def close_incidents(deployment_ids: list[int]) -> int:
    """Close the open incidents these deployments resolve (`resolves`, or `fixes KEY` in a
    commit message), stamping each deployment's finish time; returns how many changed."""
    changed = linking.resolve_for_deployments(deployment_ids=deployment_ids)
    services.schedule_recompute()
    return changed


@shared_task(**RETRY)
def link_incidents(issue_ids: list[int]) -> int:
    """Decide again which deployment caused each incident; returns how many links changed."""
    changed = linking.link_incidents(issue_ids=issue_ids)
    services.schedule_recompute()
    return changed


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def reconcile(older_than_seconds: int | None = None) -> dict[str, int]:
    """The periodic safety net (beat): re-enqueue deliveries accepted but never processed (the
    broker was down), and rebuild yesterday and today of every project and environment."""
    from apps.ingest.tasks import after_ingest

    wait = settings.DORAHUB_RECONCILE_AFTER_SECONDS
    if older_than_seconds is not None:
        wait = older_than_seconds
    stranded = unprocessed_delivery_ids(older_than=timedelta(seconds=wait))
    requeued = sum(send_now(after_ingest, delivery_id) for delivery_id in stranded)
    if stranded:
        logger.info("reconcile: re-enqueued %s of %s stranded deliveries", requeued, len(stranded))
    services.mark_stale_time_zones()
    services.mark_recent_days()
    rebuilt = services.recompute_dirty()
    return {"stranded": len(stranded), "requeued": requeued, "days_rebuilt": rebuilt}
