"""Nothing is lost while the broker is down: every delivery is answered and stored, and once
Redis is back the reconciliation finishes the follow-up work, ending exactly where a run with a
healthy broker ends."""

import time
from collections import Counter

import pytest
from django.test import Client

from apps.ingest.models import Delivery, DeliveryStatus
from apps.marks.models import DirtyDay
from tests.factories import ConnectionFactory, token_for
from tests.reliability import report, traffic
from tests.reliability.conftest import (
    reconcile_until_processed,
    state_of,
    thread_worker,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.celery_worker]

COUNT = 1000


def test_a_thousand_deliveries_survive_a_broker_outage(redis_server, celery_on, clean_reference):
    reference = clean_reference(COUNT)
    app = celery_on(redis_server.url)
    connection = ConnectionFactory()
    token = token_for(connection)
    sends = traffic.mix(COUNT, connection_id=connection.pk, token=token)

    redis_server.stop()
    client = Client()
    statuses: Counter[int] = Counter()
    slowest = 0.0
    for send in sends:
        started = time.monotonic()
        statuses[traffic.post(client, send, token=token).status_code] += 1
        slowest = max(slowest, time.monotonic() - started)

    inbox = Delivery.objects.filter(connection=connection)
    answered = sum(n for status, n in statuses.items() if 200 <= status < 300)
    # Accepted, waiting for the applier (no run could be queued) or for their follow-ups.
    stranded = inbox.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.ACCEPTED], processed_at__isnull=True
    ).count()
    assert answered == COUNT, statuses
    assert inbox.count() == COUNT
    assert stranded > 0.5 * COUNT
    assert slowest < 2.0  # a dead broker never holds a sender

    redis_server.start()
    with thread_worker(app):
        reconcile_until_processed(inbox)
        wait_until(lambda: not DirtyDay.objects.exists(), timeout=60, what="snapshots rebuilt")

    stored = inbox.filter(
        status__in=[DeliveryStatus.ACCEPTED, DeliveryStatus.DUPLICATE],
        processed_at__isnull=False,
    ).count()
    report.record(
        "broker_down",
        sent=COUNT,
        accepted=answered,
        stored=stored,
        stranded_while_down=stranded,
        duplicates_suppressed=inbox.filter(status=DeliveryStatus.DUPLICATE).count(),
        lost=answered - stored,
        slowest_answer_seconds=round(slowest, 3),
    )
    assert stored == answered
    assert state_of(connection.project) == reference
