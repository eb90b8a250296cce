"""Celery tasks of the metrics: small, idempotent, retried with backoff. With no broker they
run eagerly in-process (CELERY_TASK_ALWAYS_EAGER)."""

from celery import shared_task

from apps.marks.services import RECOMPUTE_TASK, recompute_started
from apps.metrics import services


@shared_task(name=RECOMPUTE_TASK, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def recompute_metrics() -> int:
    """Rebuild the daily snapshots of every day marked dirty; returns the days rebuilt. Sent
    by `apps.marks.services.request_recompute`."""
    recompute_started()
    return services.recompute_dirty()
