"""The applier: claims pending deliveries in batches and applies them in arrival order.

The request path (`apps.ingest.pipeline`) validates a delivery, stores it `pending` in one
statement and answers a receipt. The applier then, in one transaction per batch:

1. claims connections: on PostgreSQL a transaction-scoped advisory lock per connection
   (`pg_try_advisory_xact_lock`), so two appliers never hold the same connection and each
   connection's deliveries apply in arrival (id) order, one applier at a time;
2. reads those connections' pending deliveries in id order (`FOR UPDATE`, so a row another
   applier has just applied is seen as such and skipped);
3. applies each in a savepoint with its receiver's `handle` (the same code the inline road
   runs), marking it accepted, duplicate, rejected (a 4xx at apply time, with its error) or
   failed (a bug: the reconciliation replays it a bounded number of times);
4. commits, then asks for the follow-ups of every delivery of the batch at once.

A crash before the commit leaves the whole batch pending for the next applier: nothing lost,
nothing applied twice. An error of the database itself (a deadlock with another applier, a lost
connection) aborts the batch the same way and the task retries it.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils.datastructures import CaseInsensitiveMapping

from apps.core.exceptions import exception_to_response
from apps.core.tasks import enqueue_on_commit
from apps.ingest import services
from apps.ingest.models import Delivery, DeliveryStatus
from apps.ingest.receivers import RECEIVERS, Inbound

logger = logging.getLogger(__name__)

# The advisory lock namespace of "a connection's deliveries are being applied".
LOCK_NAMESPACE = 7411
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
        for delivery in _claim(connection_ids=connection_ids, limit=limit, wait=wait):
            _apply(delivery, batch)
        if batch.followups:
            from apps.ingest.tasks import after_ingest_batch

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
            services.mark_answered(
                delivery=delivery,
                status=DeliveryStatus.DUPLICATE if outcome.duplicate else DeliveryStatus.ACCEPTED,
                response_status=outcome.status_code,
                response_body=outcome.body,
                effects=outcome.effects,
                readings=outcome.readings or None,
            )
    except (OperationalError, InterfaceError):
        raise  # the database, not the delivery: the whole batch is tried again
    except Exception as exc:
        response = exception_to_response(exc)
        if response is None:
            logger.exception("delivery %s failed on route %s", delivery.pk, delivery.route)
            services.record_failure(delivery=delivery, exc=exc)
            batch.failures[delivery.pk] = exc
        else:
            services.record_rejection(
                delivery=delivery, status_code=response.status_code, body=response.data
            )
        batch.applied.append(delivery.pk)
        return
    batch.applied.append(delivery.pk)
    if outcome.effects:
        batch.followups.append(delivery.pk)
