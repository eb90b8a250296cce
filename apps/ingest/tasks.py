import contextlib
import logging
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from apps.core.tasks import send_now
from apps.derive.services import derive_effects
from apps.ingest import applier, selectors, services
from apps.ingest.models import Delivery

# Set while an `apply_deliveries` run is queued and not yet started: requests arriving then
# need not queue another, since that run will see their deliveries.
APPLIER_QUEUED = "ingest:applier-queued"
# How long one run applies batches before it hands over to a fresh run.
APPLIER_RUN_SECONDS = 20.0

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def after_ingest(self, delivery_id: int) -> None:  # type: ignore[no-untyped-def]
    """Derive what one accepted delivery's writes change (apps.derive); safe to run twice."""
    follow_up(delivery_ids=[delivery_id])


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def after_ingest_batch(self, delivery_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """The follow-ups of one applier batch, derived once for all of it; safe to run twice."""
    follow_up(delivery_ids=delivery_ids)


def follow_up(*, delivery_ids: list[int]) -> None:
    """Run the derive steps of the deliveries not yet followed up, once for all their effects,
    and mark them processed in the same transaction."""
    deliveries = Delivery.objects.filter(pk__in=delivery_ids, processed_at__isnull=True)
    effects: dict[str, set[int]] = {}
    pks = []
    for pk, delivery_effects in deliveries.values_list("pk", "effects"):
        pks.append(pk)
        for kind, ids in (delivery_effects or {}).items():
            effects.setdefault(kind, set()).update(int(i) for i in ids)
    if not pks:
        return
    with transaction.atomic():
        derive_effects(effects={kind: sorted(ids) for kind, ids in effects.items()})
        Delivery.objects.filter(pk__in=pks, processed_at__isnull=True).update(
            processed_at=timezone.now()
        )


def kick_applier() -> bool:
    """Make sure an applier run will see the deliveries committed so far: queue one unless
    one is queued and not yet started (one cache round trip in the common case). False when
    no run could be queued (the broker is down)."""
    try:
        queued = not cache.add(APPLIER_QUEUED, 1, timeout=30)
    except Exception:  # the cache is down: queue anyway; appliers are safe to run at once
        queued = False
    if queued or send_now(apply_deliveries):
        return True
    with contextlib.suppress(Exception):
        cache.delete(APPLIER_QUEUED)
    return False


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=8,
)
def apply_deliveries(self) -> int:  # type: ignore[no-untyped-def]
    """Apply pending deliveries in batches (apps.ingest.applier) until none is left; several
    runs at once share the work by connection. Returns how many it applied."""
    with contextlib.suppress(Exception):
        cache.delete(APPLIER_QUEUED)  # from now on, a new delivery queues a new run
    deadline = time.monotonic() + APPLIER_RUN_SECONDS
    applied = 0
    while time.monotonic() < deadline:
        batch = applier.apply_pending()
        if not batch:
            return applied
        applied += len(batch)
    kick_applier()  # more is pending: a fresh run continues, so one run never holds a worker
    return applied


@shared_task
def prune_inbox() -> int:
    return services.prune_deliveries(
        older_than=timedelta(days=settings.DORAHUB_INBOX_RETENTION_DAYS)
    )


@shared_task
def retry_failed_deliveries() -> dict[str, int]:
    """Replay the deliveries whose processing raised (a bug, a deadlock, a lost database
    connection) while they have tries left; each replay counts as one attempt, and one that
    raises again stays failed with its new error."""
    from apps.ingest import pipeline

    ids = selectors.failed_delivery_ids(max_attempts=settings.DORAHUB_INBOX_MAX_ATTEMPTS)
    answered = 0
    for delivery in Delivery.objects.filter(pk__in=ids).order_by("received_at"):
        try:
            pipeline.replay(delivery=delivery)
            answered += 1
        except Exception:  # recorded on the delivery by the pipeline; try the others
            logger.warning("delivery %s failed again on replay", delivery.pk)
    return {"failed": len(ids), "answered": answered}
