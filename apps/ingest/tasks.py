from datetime import timedelta

from celery import shared_task
from django.conf import settings

from apps.ingest import followups, services
from apps.ingest.models import Delivery


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def after_ingest(self, delivery_id: int) -> None:  # type: ignore[no-untyped-def]
    """Run the follow-up work of one accepted delivery; safe to run twice."""
    delivery = Delivery.objects.filter(pk=delivery_id).only("effects", "processed_at").first()
    if delivery is None or delivery.processed_at is not None:
        return
    followups.run(delivery.effects)
    services.mark_processed(delivery_id=delivery_id)


@shared_task
def prune_inbox() -> int:
    return services.prune_deliveries(
        older_than=timedelta(days=settings.DORAHUB_INBOX_RETENTION_DAYS)
    )
