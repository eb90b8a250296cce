import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from apps.derive.services import derive_effects
from apps.ingest import selectors, services
from apps.ingest.models import Delivery

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def after_ingest(self, delivery_id: int) -> None:  # type: ignore[no-untyped-def]
    """Derive what one accepted delivery's writes change (apps.derive); safe to run twice."""
    delivery = Delivery.objects.filter(pk=delivery_id).only("effects", "processed_at").first()
    if delivery is None or delivery.processed_at is not None:
        return
    derive_effects(effects=delivery.effects)
    services.mark_processed(delivery_id=delivery_id)


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
