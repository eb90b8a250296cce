"""Nothing is doubled under concurrency: fifty senders post overlapping deployments, incidents,
CI jobs and changes at once, each delivery up to three times, and the project ends with exactly
the rows and figures of one clean pass."""

import hashlib
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from apps.ingest.models import Delivery, DeliveryStatus
from tests.factories import ConnectionFactory, token_for
from tests.reliability import report, traffic
from tests.reliability.conftest import settle, state_of

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

COUNT = 400
SENDERS = 50


def fan_out(sends: list[traffic.Send], rng: random.Random) -> list[list[traffic.Send]]:
    """Each delivery one to three times, the copies given to different senders at random."""
    queues: list[list[traffic.Send]] = [[] for _ in range(SENDERS)]
    for send in sends:
        for sender in rng.sample(range(SENDERS), rng.randint(1, 3)):
            queues[sender].append(send)
    for queue in queues:
        rng.shuffle(queue)
    return queues


def post_concurrently(queues: list[list[traffic.Send]], token: str) -> Counter[int]:
    start = threading.Barrier(len(queues))

    def sender(queue: list[traffic.Send]) -> Counter[int]:
        client = Client()
        statuses: Counter[int] = Counter()
        try:
            start.wait()
            for send in queue:
                statuses[traffic.post(client, send, token=token).status_code] += 1
        finally:
            connections.close_all()
        return statuses

    with ThreadPoolExecutor(max_workers=len(queues)) as pool:
        return sum(pool.map(sender, queues), Counter())


def test_fifty_senders_posting_overlapping_deliveries_double_nothing(clean_reference, settings):
    reference = clean_reference(COUNT)
    # Production's road: stored pending, applied by the applier each request queues (here run
    # at once in the sending thread, so up to fifty appliers run together).
    settings.DORAHUB_APPLY_INLINE = False
    connection = ConnectionFactory()
    token = token_for(connection)
    sends = traffic.mix(COUNT, connection_id=connection.pk, token=token)
    rng = random.Random(9)
    # A tool reports an incident resolved only after it reported it opened.
    opened = [send for send in sends if not send.key.endswith("-resolved")]
    resolved = [send for send in sends if send.key.endswith("-resolved")]

    statuses: Counter[int] = Counter()
    sent = 0
    for wave in (opened, resolved):
        queues = fan_out(wave, rng)
        sent += sum(len(queue) for queue in queues)
        statuses += post_concurrently(queues, token)
    settle()

    inbox = Delivery.objects.filter(connection=connection)
    accepted = sum(n for status, n in statuses.items() if 200 <= status < 300)
    stored = inbox.filter(status__in=[DeliveryStatus.ACCEPTED, DeliveryStatus.DUPLICATE]).count()
    duplicates = inbox.filter(status=DeliveryStatus.DUPLICATE).count()
    report.record(
        "concurrency",
        senders=SENDERS,
        distinct_deliveries=COUNT,
        sent=sent,
        accepted=accepted,
        stored=stored,
        duplicates_suppressed=duplicates,
        throttled=statuses[429],
        lost=accepted - stored,
    )
    assert accepted == sent, statuses  # no 429 at the default rate, no 5xx, no conflict
    assert stored == sent
    assert duplicates <= sent - COUNT
    assert _accepted_more_than_once(inbox) <= {"pulse_cli"}
    assert state_of(connection.project) == reference


def _accepted_more_than_once(inbox) -> set[str]:
    """Routes where two copies of one body were both answered as the first. Only change
    reports may be: `record_change` cannot tell which of two racing inserts was first, which
    costs nothing (a change report has no follow-up work) but the answer's wording."""
    copies = Counter(
        (route, hashlib.sha256(bytes(body)).hexdigest())
        for route, body in inbox.filter(status=DeliveryStatus.ACCEPTED).values_list("route", "body")
    )
    return {route for (route, _), n in copies.items() if n > 1}
