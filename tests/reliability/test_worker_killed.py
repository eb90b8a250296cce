"""A worker killed in the middle of its queue loses nothing and doubles nothing: the messages it
held are never acknowledged (acks late), the deliveries behind them stay unprocessed in the
database, and the reconciliation hands them to the next worker, whose tasks are idempotent."""

import os
import signal
import time
from collections import Counter

import pytest
from django.test import Client

from apps.ingest.models import Delivery, DeliveryStatus
from apps.marks.models import DirtyDay
from tests.factories import ConnectionFactory, token_for
from tests.reliability import report, traffic
from tests.reliability.conftest import (
    database_url,
    kill,
    reconcile_until_processed,
    start_celery_worker,
    state_of,
    wait_stable,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.celery_worker]

COUNT = 400


def frozen_holding(worker, broker) -> int:
    """Freeze the worker (SIGSTOP) at a moment it holds unacknowledged messages, so the kill
    that follows lands mid-task; returns how many it holds (0: thawed, try again)."""
    os.killpg(worker.pid, signal.SIGSTOP)
    held = broker.hlen("unacked")
    if not held:
        os.killpg(worker.pid, signal.SIGCONT)
        time.sleep(0.01)
    return held


def test_a_worker_killed_mid_queue_loses_and_doubles_nothing(
    redis_server, celery_on, clean_reference
):
    reference = clean_reference(COUNT)
    celery_on(redis_server.url)
    connection = ConnectionFactory()
    token = token_for(connection)
    client = Client()
    statuses = Counter(
        traffic.post(client, send, token=token).status_code
        for send in traffic.mix(COUNT, connection_id=connection.pk, token=token)
    )
    inbox = Delivery.objects.filter(connection=connection)

    def unprocessed() -> int:
        return inbox.filter(processed_at__isnull=True).count()

    queued = unprocessed()
    assert sum(n for status, n in statuses.items() if status < 300) == COUNT, statuses
    assert queued > 0.5 * COUNT

    broker = redis_server.client()
    first = start_celery_worker(broker_url=redis_server.url, database_url=database_url())
    try:
        wait_until(
            lambda: queued - unprocessed() >= 0.2 * queued,
            timeout=120,
            interval=0.05,
            what="the first worker busy with the queue",
        )
        held_when_killed = wait_until(
            lambda: frozen_holding(first, broker), timeout=30, interval=0, what="a task in hand"
        )
    finally:
        kill(first)
    processed_by_first = queued - unprocessed()
    assert broker.hlen("unacked") == held_when_killed  # taken from the queue, never acknowledged
    assert processed_by_first < queued

    second = start_celery_worker(broker_url=redis_server.url, database_url=database_url())
    try:
        # The second worker drains the queue; the messages the first one held stay hidden
        # (for the visibility timeout, hours), so their deliveries wait for the reconciliation.
        wait_until(lambda: broker.llen("celery") == 0, timeout=120, what="queue drained")
        stranded_by_kill = wait_stable(unprocessed, quiet=2.0, timeout=60)
        reconcile_until_processed(inbox)
        wait_until(lambda: not DirtyDay.objects.exists(), timeout=60, what="snapshots rebuilt")
    finally:
        kill(second)

    stored = inbox.filter(
        status__in=[DeliveryStatus.ACCEPTED, DeliveryStatus.DUPLICATE],
        processed_at__isnull=False,
    ).count()
    report.record(
        "worker_killed",
        sent=COUNT,
        accepted=COUNT,
        stored=stored,
        queued_for_workers=queued,
        processed_before_kill=processed_by_first,
        messages_held_by_killed_worker=held_when_killed,
        left_for_reconciliation=stranded_by_kill,
        duplicates_suppressed=inbox.filter(status=DeliveryStatus.DUPLICATE).count(),
        lost=COUNT - stored,
    )
    assert stored == COUNT
    assert state_of(connection.project) == reference
