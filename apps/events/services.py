"""Writes for lifecycle events, triggers and their outgoing deliveries.

An event is recorded inside the transaction that made the transition; after commit a task
matches it against the active triggers and creates one delivery per matching trigger. Each
delivery is sent by its own task, whose attempts are claimed in the database so that a message
delivered twice (broker redelivery, reconciliation) never sends the same attempt twice.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.connections.models import Connection, Project
from apps.core.tasks import enqueue_on_commit
from apps.events import outgoing, vocabulary
from apps.events.models import LifecycleEvent, Trigger, TriggerDelivery, TriggerDeliveryStatus
from apps.events.patterns import matches_any, parse_all
from apps.events.selectors import triggers_in_scope
from apps.events.targets import validate_target

Status = TriggerDeliveryStatus

RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 8 * 3600
HISTORY_LIMIT = 50
# A pending delivery or retry this late means its task message was lost (broker down).
STALL_AFTER = timedelta(minutes=10)


def event_name(*, origin: str, repo: str, event: str) -> str:
    return f"{origin}:{repo}:{event}"


@dataclass(frozen=True)
class EventSpec:
    """One lifecycle event to record (see `record_events`)."""

    repo: str
    event: str
    occurred_at: datetime | None
    data: dict[str, Any]
    insight: bool | None = None


def record_event(
    *,
    connection: Connection,
    repo: str,
    event: str,
    occurred_at: datetime | None,
    data: dict[str, Any],
    insight: bool | None = None,
) -> LifecycleEvent:
    """Record one lifecycle event and, after commit, fire the triggers it matches. `repo`
    falls back to the project slug when unknown; `insight` defaults to the vocabulary's."""
    spec = EventSpec(repo=repo, event=event, occurred_at=occurred_at, data=data, insight=insight)
    created = LifecycleEvent.objects.create(**_event_columns(connection, spec))
    from apps.events.tasks import dispatch_event

    enqueue_on_commit(dispatch_event, created.pk)
    return created


def record_events(*, connection: Connection, specs: list[EventSpec]) -> list[LifecycleEvent]:
    """Record many events of one connection in one INSERT; one task dispatches them all."""
    if not specs:
        return []
    created = LifecycleEvent.objects.bulk_create(
        [LifecycleEvent(**_event_columns(connection, spec)) for spec in specs]
    )
    from apps.events.tasks import dispatch_events

    enqueue_on_commit(dispatch_events, [event.pk for event in created])
    return created


def _event_columns(connection: Connection, spec: EventSpec) -> dict[str, Any]:
    if not vocabulary.is_known(spec.event):
        raise ValueError(
            f"Unknown lifecycle event {spec.event!r}: add it to apps/events/vocabulary.py"
        )
    repo = (spec.repo or connection.project.slug)[:300]
    return {
        "project_id": connection.project_id,
        "connection": connection,
        "origin": connection.kind,
        "repo": repo,
        "event": spec.event,
        "name": event_name(origin=connection.kind, repo=repo, event=spec.event),
        "occurred_at": spec.occurred_at or timezone.now(),
        "data": spec.data,
        "is_insight": vocabulary.is_insight(spec.event) if spec.insight is None else spec.insight,
    }


def dispatch_event(*, event_id: int) -> list[int]:
    """Create the deliveries of one event to its matching triggers (once, however often it
    runs) and return the ids of those never attempted yet."""
    return dispatch_events(event_ids=[event_id])


def dispatch_events(*, event_ids: Sequence[int]) -> list[int]:
    """`dispatch_event` for many events at once: the triggers in scope are read once per
    project and connection, not once per event (an applier batch records hundreds)."""
    with transaction.atomic():
        events = list(
            LifecycleEvent.objects.select_for_update()
            .filter(pk__in=list(event_ids), dispatched_at__isnull=True)
            .order_by("pk")
        )
        scopes: dict[tuple[int, int | None], list[Trigger]] = {}
        deliveries = []
        for event in events:
            scope = (event.project_id, event.connection_id)
            if scope not in scopes:
                scopes[scope] = triggers_in_scope(
                    project_id=event.project_id, connection_id=event.connection_id
                )
            deliveries += [
                TriggerDelivery(trigger=trigger, event=event)
                for trigger in scopes[scope]
                if matches_any(trigger.patterns, event.name)
            ]
        TriggerDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        LifecycleEvent.objects.filter(pk__in=[event.pk for event in events]).update(
            dispatched_at=timezone.now()
        )
    return list(
        TriggerDelivery.objects.filter(
            event_id__in=list(event_ids), status=Status.PENDING, attempts=0
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- triggers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedTrigger:
    trigger: Trigger
    created: bool


class InvalidScope(ValueError):
    pass


def check_scope(
    *, project: Project | None, connections: list[Connection], all_projects: bool
) -> None:
    """A trigger has exactly one scope: a project, a set of connections, or, said explicitly,
    the whole installation."""
    given = sum([project is not None, bool(connections), all_projects])
    if given != 1:
        raise InvalidScope(
            "A trigger needs exactly one scope: a project, a set of connections, or "
            "installation-wide (all projects)."
        )


def save_trigger(
    *,
    name: str,
    patterns: list[str],
    url: str,
    project: Project | None = None,
    connections: list[Connection] | None = None,
    all_projects: bool = False,
    secret: str | None = None,
    description: str = "",
    is_active: bool = True,
) -> SavedTrigger:
    """Create or update the trigger called `name`; an existing trigger keeps its secret unless
    a new one is given. Raises ValueError (InvalidPattern, TargetRefused, InvalidScope, or a
    new trigger without a secret) before writing anything."""
    normalized = [str(p) for p in parse_all(patterns)]
    validate_target(url)
    connections = list(connections or [])
    check_scope(project=project, connections=connections, all_projects=all_projects)
    with transaction.atomic():
        trigger = Trigger.objects.select_for_update().filter(name=name).first()
        created = trigger is None
        if trigger is None:
            if not secret:
                raise ValueError(f"The new trigger {name!r} needs a secret.")
            trigger = Trigger(name=name)
        trigger.patterns = normalized
        trigger.url = url.strip()
        trigger.description = description
        trigger.is_active = is_active
        trigger.project = project
        trigger.all_projects = all_projects
        if secret:
            trigger.set_secret(secret)
        trigger.save()
        trigger.connections.set(connections)
    return SavedTrigger(trigger=trigger, created=created)


# --- deliveries -------------------------------------------------------------------------


def retry_delay(*, retry_number: int, rng: random.Random | None = None) -> int:
    """Seconds before retry `retry_number` (0-based): 60 s doubling up to 8 h, with +-25%
    jitter so many failed deliveries do not come back at the same instant. The default 11
    retries span about a day."""
    base = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2**retry_number)
    return max(1, round(base * (rng or random).uniform(0.75, 1.25)))


def max_retries() -> int:
    return int(settings.DORAHUB_TRIGGER_MAX_RETRIES)


def claim_attempt(*, delivery_id: int, attempt: int) -> TriggerDelivery | None:
    """Mark attempt number `attempt` as in flight, unless it already happened (a duplicate
    message) or the delivery is finished; returns the delivery to send, or None."""
    now = timezone.now()
    claimable = Q(status__in=[Status.PENDING, Status.RETRYING]) | Q(
        status=Status.SENDING, last_attempt_at__lt=now - STALL_AFTER
    )
    claimed = (
        TriggerDelivery.objects.filter(claimable, pk=delivery_id, attempts=attempt - 1).update(
            status=Status.SENDING, attempts=attempt, last_attempt_at=now, next_attempt_at=None
        )
        > 0
    )
    if not claimed:
        return None
    return TriggerDelivery.objects.select_related(
        "trigger", "event__project", "event__connection"
    ).get(pk=delivery_id)


@dataclass(frozen=True)
class AttemptOutcome:
    status: str
    retry_in: int | None = None  # seconds until the next attempt, when one is scheduled


def send_attempt(*, delivery: TriggerDelivery) -> outgoing.AttemptResult:
    """POST the delivery's event once; the body is rebuilt identically on every attempt."""
    event, trigger = delivery.event, delivery.trigger
    if not trigger.is_active:
        # Deactivating a trigger is how an admin stops it calling a broken receiver.
        return outgoing.AttemptResult(
            ok=False, retryable=False, status_code=None, duration_ms=0, error="Trigger inactive"
        )
    try:
        secret = trigger.get_secret()
    except ValueError as exc:  # the encryption key changed since the secret was set
        return outgoing.AttemptResult(
            ok=False,
            retryable=False,
            status_code=None,
            duration_ms=0,
            error=f"{exc}; set a new one",
        )
    source = outgoing.Source(
        project_id=event.project_id,
        project_slug=event.project.slug,
        connection_id=event.connection_id,
        connection_name=event.connection.name if event.connection is not None else None,
    )
    body = outgoing.body_for(
        name=event.name, occurred_at=event.occurred_at.isoformat(), source=source, data=event.data
    )
    headers = outgoing.headers_for(
        event_name=event.name,
        delivery_uuid=str(delivery.uuid),
        source=source,
        signature=outgoing.sign(secret=secret, body=body),
    )
    return outgoing.post(url=delivery.trigger.url, body=body, headers=headers)


def record_attempt(
    *, delivery: TriggerDelivery, result: outgoing.AttemptResult, now: datetime | None = None
) -> AttemptOutcome:
    """Store one attempt's result and decide: delivered, retry later, or failed for good."""
    now = now or timezone.now()
    retries_used = delivery.attempts - delivery.run_started_attempt
    retry_in = None
    if result.ok:
        status = Status.DELIVERED
    elif result.retryable and retries_used < max_retries():
        status = Status.RETRYING
        retry_in = retry_delay(retry_number=retries_used)
        if result.retry_after:
            retry_in = min(RETRY_CAP_SECONDS, max(retry_in, result.retry_after))
    else:
        status = Status.FAILED
    entry = {
        "attempt": delivery.attempts,
        "at": now.isoformat(),
        "status_code": result.status_code,
        "duration_ms": result.duration_ms,
        "error": result.error,
        "retry_in": retry_in,
    }
    TriggerDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
        status=status,
        response_code=result.status_code,
        duration_ms=result.duration_ms,
        last_error=result.error,
        next_attempt_at=now + timedelta(seconds=retry_in) if retry_in is not None else None,
        delivered_at=now if result.ok else None,
        history=[*delivery.history, entry][-HISTORY_LIMIT:],
    )
    return AttemptOutcome(status=status, retry_in=retry_in)


def redeliver(*, delivery: TriggerDelivery) -> None:
    """Send a delivery again (admin action), with the same delivery id and a fresh retry
    budget; the send happens after commit."""
    from apps.events.tasks import deliver_trigger

    with transaction.atomic():
        current = TriggerDelivery.objects.select_for_update().get(pk=delivery.pk)
        next_attempt = current.attempts + 1
        TriggerDelivery.objects.filter(pk=current.pk).update(
            status=Status.PENDING, run_started_attempt=next_attempt, next_attempt_at=timezone.now()
        )
        enqueue_on_commit(deliver_trigger, current.pk, next_attempt)


@dataclass(frozen=True)
class Stalled:
    event_ids: list[int]
    deliveries: list[tuple[int, int]]  # (delivery id, attempt number to send)


def find_stalled(*, now: datetime | None = None, limit: int = 500) -> Stalled:
    """Events never dispatched and deliveries whose next attempt never ran: their task
    messages were lost (broker down at enqueue time, or a worker died mid-send)."""
    now = now or timezone.now()
    cutoff = now - STALL_AFTER
    event_ids = list(
        LifecycleEvent.objects.filter(dispatched_at__isnull=True, recorded_at__lt=cutoff)
        .order_by("recorded_at")
        .values_list("pk", flat=True)[:limit]
    )
    stalled = TriggerDelivery.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__isnull=True, created__lt=cutoff)
        | Q(status__in=[Status.PENDING, Status.RETRYING], next_attempt_at__lt=cutoff)
        | Q(status=Status.SENDING, last_attempt_at__lt=cutoff)
    ).order_by("pk")
    deliveries = [(pk, attempts + 1) for pk, attempts in stalled.values_list("pk", "attempts")]
    return Stalled(event_ids=event_ids, deliveries=deliveries[:limit])
