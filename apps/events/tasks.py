from typing import Any

from celery import shared_task

from apps.core.tasks import send_now
from apps.events import services


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def dispatch_event(self: Any, event_id: int) -> int:
    """Create an event's trigger deliveries and send each; safe to run twice."""
    delivery_ids = services.dispatch_event(event_id=event_id)
    for delivery_id in delivery_ids:
        send_now(deliver_trigger, delivery_id, 1)
    return len(delivery_ids)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def dispatch_events(self: Any, event_ids: list[int]) -> int:
    """`dispatch_event` for the events one applier batch recorded; safe to run twice."""
    delivery_ids = services.dispatch_events(event_ids=event_ids)
    for delivery_id in delivery_ids:
        send_now(deliver_trigger, delivery_id, 1)
    return len(delivery_ids)


# Retries are decided by services.record_attempt from the delivery's own counters (they survive
# reconciliation and redelivery), so Celery's own retry limit is off.
@shared_task(bind=True, max_retries=None)
def deliver_trigger(self: Any, delivery_id: int, attempt: int = 1) -> str:
    """Send attempt number `attempt` of a delivery; a duplicate message for an attempt that
    already ran does nothing."""
    delivery = services.claim_attempt(delivery_id=delivery_id, attempt=attempt)
    if delivery is None:
        return "skipped"
    outcome = services.record_attempt(
        delivery=delivery, result=services.send_attempt(delivery=delivery)
    )
    if outcome.retry_in is None or self.request.is_eager:
        # Without a broker (eager mode) one attempt runs inline, inside the request that
        # caused it; the next waits its recorded back-off and the reconciliation sends it, so
        # the history's waits are the ones that happened.
        return outcome.status
    # The same delivery (and X-DoraHub-Delivery id) comes back as the next attempt.
    raise self.retry(args=(delivery_id, attempt + 1), countdown=outcome.retry_in)


@shared_task
def reconcile_triggers() -> dict[str, int]:
    """Re-enqueue dispatches and attempts whose task messages were lost."""
    stalled = services.find_stalled()
    for event_id in stalled.event_ids:
        send_now(dispatch_event, event_id)
    for delivery_id, attempt in stalled.deliveries:
        send_now(deliver_trigger, delivery_id, attempt)
    return {"events": len(stalled.event_ids), "deliveries": len(stalled.deliveries)}
