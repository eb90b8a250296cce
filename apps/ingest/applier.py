"""The applier: claims pending deliveries in batches and applies them in arrival order.

The request path (`apps.ingest.pipeline`) validates a delivery, stores it `pending` in one
statement and answers a receipt. The applier then, in one transaction per batch:

1. claims connections: on PostgreSQL a transaction-scoped advisory lock per connection
   (`pg_try_advisory_xact_lock`), so two appliers never hold the same connection and each
   connection's deliveries apply in arrival (id) order, one applier at a time;
2. reads those connections' pending deliveries in id order (`FOR UPDATE`, so a row another
   applier has just applied is seen as such and skipped);
3. applies them: consecutive deliveries of one connection whose receivers plan the same
   set-based writer (`Receiver.plan`: deployments) are written by one call, a few statements for
   all of them; any other delivery is applied alone in a savepoint with its receiver's `handle`
   (the code the inline road runs). Each is marked accepted, duplicate, rejected (a 4xx at apply
   time, with its error) or failed (a bug: the reconciliation replays it a bounded number of
   times);
4. commits, then asks for the follow-ups of every delivery of the batch at once.

A crash before the commit leaves the whole batch pending for the next applier: nothing lost,
nothing applied twice. An error of the database itself (a deadlock with another applier, a lost
connection) aborts the batch the same way and the task retries it.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping
from rest_framework.response import Response

from apps.core.exceptions import exception_to_response
from apps.core.tasks import enqueue_on_commit
from apps.ingest import services
from apps.ingest.models import Delivery, DeliveryStatus
from apps.ingest.receivers import RECEIVERS, Inbound, Outcome, Planned

logger = logging.getLogger(__name__)

# The advisory lock namespace of "a connection's deliveries are being applied".
LOCK_NAMESPACE = 7411
# What answering a delivery writes on its inbox row.
ANSWER_FIELDS = [
    "status",
    "response_status",
    "response_body",
    "effects",
    "error",
    "processed_at",
    "readings",
]
# Connections one batch looks at; more wait for the next batch.
MAX_CONNECTIONS = 200


@dataclass
class Batch:
    applied: list[int] = field(default_factory=list)
    # Deliveries whose follow-ups (derive steps) are still to run.
    followups: list[int] = field(default_factory=list)
    # Unexpected errors by delivery id: recorded as failed; the inline road re-raises its own.
    failures: dict[int, Exception] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.applied)


def apply_pending(
    *,
    connection_ids: Collection[int] | None = None,
    limit: int | None = None,
    wait: bool = False,
) -> Batch:
    """Claim and apply one batch of pending deliveries (of `connection_ids` only, if given);
    the follow-ups are requested after the batch commits. `wait` waits for connections another
    applier holds instead of skipping them (the inline road, which answers the outcome)."""
    batch = Batch()
    with transaction.atomic():
        run: list[tuple[Delivery, Planned]] = []
        for delivery in _claim(connection_ids=connection_ids, limit=limit, wait=wait):
            planned = _plan(delivery, batch)
            if planned is False:
                continue  # refused at apply time: it writes nothing, so the run goes on
            if run and (planned is None or not _joins(run, delivery, planned)):
                _write_run(run, batch)
                run = []
            if planned is None:
                _apply(delivery, batch)
            else:
                run.append((delivery, planned))
        if run:
            _write_run(run, batch)
        if batch.followups:
            from apps.ingest.tasks import after_ingest_batch  # tasks imports this module

            enqueue_on_commit(after_ingest_batch, batch.followups)
    return batch


def apply_all(*, limit: int | None = None, max_batches: int = 1_000) -> int:
    """Apply batches until nothing is pending (or `max_batches`); returns how many applied."""
    total = 0
    for _ in range(max_batches):
        batch = apply_pending(limit=limit)
        if not batch:
            break
        total += len(batch)
    return total


def _claim(
    *, connection_ids: Collection[int] | None, limit: int | None, wait: bool
) -> list[Delivery]:
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    if connection_ids is not None:
        pending = pending.filter(connection_id__in=list(connection_ids))
    if connection.vendor == "postgresql":
        candidates = list(
            pending.order_by("connection_id")
            .values_list("connection_id", flat=True)
            .distinct()[:MAX_CONNECTIONS]
        )
        if not candidates:
            return []
        # A statement of its own, before the read below: READ COMMITTED gives that read a
        # snapshot taken after the locks, so it sees what the previous holder committed.
        with connection.cursor() as cursor:
            if wait:
                # One at a time in id order, so two waiting appliers cannot deadlock.
                for connection_id in sorted(candidates):
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, connection_id]
                    )
                held = sorted(candidates)
            else:
                cursor.execute(
                    "SELECT c FROM unnest(%s::bigint[]) AS c "
                    "WHERE pg_try_advisory_xact_lock(%s, c::integer)",
                    [candidates, LOCK_NAMESPACE],
                )
                held = [row[0] for row in cursor.fetchall()]
        if not held:
            return []
        pending = pending.filter(connection_id__in=held).select_for_update(of=("self",))
    # SQLite has one writer at a time: the database itself serialises appliers.
    return list(
        pending.select_related("connection__project").order_by("pk")[
            : limit or settings.DORAHUB_APPLIER_BATCH
        ]
    )


def inbound_of(delivery: Delivery, *, replay: bool = False) -> Inbound:
    params = dict(delivery.route_params)
    if delivery.connection_id is not None:
        # Routes whose API key names the connection (Pulse's webhook) have no id in the URL.
        params.setdefault("connection_id", delivery.connection_id)
    return Inbound(
        route=delivery.route,
        params=params,
        headers=CaseInsensitiveMapping(delivery.headers),
        query=delivery.query,
        body=bytes(delivery.body),
        replay=replay,
        received_at=delivery.received_at,
    )


def _plan(delivery: Delivery, batch: Batch) -> Planned | Literal[False] | None:
    """The delivery's plan for a set-based write; None to apply it alone; False when it is
    refused now (recorded on the delivery)."""
    receiver = RECEIVERS[delivery.route]()
    assert delivery.connection is not None  # a pending delivery was authenticated
    if delivery.validated is not None:
        stored = receiver.plan_stored(validated=delivery.validated, readings=delivery.readings)
        if stored is not None:
            return stored
    inbound = inbound_of(delivery)
    try:
        payload = receiver.parse(inbound)
        return receiver.plan(connection=delivery.connection, payload=payload, inbound=inbound)
    except Exception as exc:
        _refused(delivery, exc, batch)
        return False


def _joins(run: list[tuple[Delivery, Planned]], delivery: Delivery, planned: Planned) -> bool:
    first, first_plan = run[0]
    return first.connection_id == delivery.connection_id and first_plan.writer is planned.writer


def _write_run(run: list[tuple[Delivery, Planned]], batch: Batch) -> None:
    """Write consecutive planned deliveries of one connection with one writer call; should
    that raise, apply each alone, so one bad delivery is rejected, not its neighbours."""
    connection = run[0][0].connection
    assert connection is not None
    writer = run[0][1].writer
    try:
        with transaction.atomic():
            outcomes = writer(connection=connection, items=[planned.data for _, planned in run])
            answered = [
                _answered(delivery, planned.answer(outcome))
                for (delivery, planned), outcome in zip(run, outcomes, strict=True)
            ]
            services.save_answers(deliveries=answered, fields=ANSWER_FIELDS)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.warning("a set-based write of %d deliveries failed; applying each", len(run))
        answered = []
    if not answered:  # outside the handler, so each error is reported as its own
        for delivery, _ in run:
            _apply(delivery, batch)
        return
    for delivery in answered:
        batch.applied.append(delivery.pk)
        if delivery.effects:
            batch.followups.append(delivery.pk)


def _answered(delivery: Delivery, outcome: Outcome) -> Delivery:
    delivery.status = DeliveryStatus.DUPLICATE if outcome.duplicate else DeliveryStatus.ACCEPTED
    delivery.response_status = outcome.status_code
    delivery.response_body = outcome.body
    delivery.effects = outcome.effects or {}
    delivery.error = ""
    delivery.processed_at = None if delivery.effects else timezone.now()
    if outcome.readings:
        delivery.readings = outcome.readings
    return delivery


def record_error(delivery: Delivery, exc: Exception) -> Response | None:
    """Record on the stored delivery why it was not applied: a refusal in the one error shape
    (rejected; its answer is returned) or a bug (failed, for the reconciliation to replay;
    `retry_failed_deliveries`), None."""
    response = exception_to_response(exc)
    if response is None:
        logger.exception("delivery %s failed on route %s", delivery.pk, delivery.route)
        services.record_failure(delivery=delivery, exc=exc)
        return None
    services.record_rejection(
        delivery=delivery, status_code=response.status_code, body=response.data
    )
    return response


def _refused(delivery: Delivery, exc: Exception, batch: Batch) -> None:
    if record_error(delivery, exc) is None:
        batch.failures[delivery.pk] = exc
    batch.applied.append(delivery.pk)


def _apply(delivery: Delivery, batch: Batch) -> None:
    receiver = RECEIVERS[delivery.route]()
    inbound = inbound_of(delivery)
    assert delivery.connection is not None  # a pending delivery was authenticated
    try:
        with transaction.atomic():
            payload = receiver.parse(inbound)
            outcome = receiver.handle(
                connection=delivery.connection, payload=payload, inbound=inbound
            )
            services.record_outcome(delivery=delivery, outcome=outcome)
    except (OperationalError, InterfaceError):
        raise  # the database, not the delivery: the whole batch is tried again
    except Exception as exc:
        _refused(delivery, exc, batch)
        return
    batch.applied.append(delivery.pk)
    if outcome.effects:
        batch.followups.append(delivery.pk)
