"""Outgoing trigger deliveries: signed POSTs to a real local HTTP server, retried on
transient failures with backoff, never retried on the receiver's own 4xx."""

import json
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.events import outgoing
from apps.events.models import Trigger, TriggerDelivery
from apps.events.services import (
    STALL_AFTER,
    find_stalled,
    record_event,
    redeliver,
    retry_delay,
)
from apps.events.tasks import reconcile_triggers
from tests.events.conftest import SECRET, make_trigger
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cirrus():
    return ConnectionFactory(kind="cirrus")


@pytest.fixture
def fire(cirrus, django_capture_on_commit_callbacks):
    """Record a build.needs_approval event and run what its commit triggers."""

    def fire(**data):
        with django_capture_on_commit_callbacks(execute=True):
            return record_event(
                connection=cirrus,
                repo="acme/api",
                event="build.needs_approval",
                occurred_at=timezone.now(),
                data=data or {"build": "1234"},
            )

    return fire


def test_a_delivery_is_a_signed_post_of_the_event(hook_server, fire):
    make_trigger(hook_server.url, "*:*:build.needs_approval")

    event = fire(build="1234", branch="main")

    [request] = hook_server.received
    assert request.path == "/hooks/dorahub"
    assert request.signature_is_valid(SECRET)
    assert not request.signature_is_valid("another secret")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-DoraHub-Event"] == "cirrus:acme/api:build.needs_approval"
    assert request.json == {
        "event": "cirrus:acme/api:build.needs_approval",
        "occurred_at": event.occurred_at.isoformat(),
        "project": {"id": event.project_id, "slug": event.project.slug},
        "connection": {"id": event.connection_id, "name": event.connection.name},
        "data": {"build": "1234", "branch": "main"},
    }
    assert request.headers["X-DoraHub-Project"] == event.project.slug
    assert request.headers["X-DoraHub-Connection"] == str(event.connection_id)
    delivery = TriggerDelivery.objects.get()
    assert request.headers["X-DoraHub-Delivery"] == str(delivery.uuid)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert delivery.duration_ms is not None
    assert delivery.delivered_at is not None


def send_due_retries() -> None:
    """What the reconciliation does once each recorded wait has passed (eager mode sends one
    attempt inline and schedules the rest)."""
    while TriggerDelivery.objects.filter(status="retrying").exists():
        TriggerDelivery.objects.filter(status="retrying").update(
            next_attempt_at=timezone.now() - STALL_AFTER - timedelta(seconds=1)
        )
        reconcile_triggers()


def test_in_eager_mode_one_attempt_runs_inline_and_the_retry_is_scheduled(hook_server, fire):
    """Issue 16 finding 11: no 12 attempts in 0.06 s inside the sender's request, and a
    history that tells the truth."""
    make_trigger(hook_server.url, "*:*:build.needs_approval")
    hook_server.statuses = [500, 500]

    fire()

    assert len(hook_server.received) == 1
    delivery = TriggerDelivery.objects.get()
    [entry] = delivery.history
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert abs(wait.total_seconds() - entry["retry_in"]) < 1
    assert 45 <= entry["retry_in"] <= 75


@pytest.mark.parametrize("transient", [500, 502, 503, 408, 429])
def test_a_transient_failure_is_retried_with_the_same_delivery_id(hook_server, fire, transient):
    make_trigger(hook_server.url, "*:*:build.needs_approval")
    hook_server.statuses = [transient, 500]

    fire()
    send_due_retries()

    assert len(hook_server.received) == 3
    ids = {r.headers["X-DoraHub-Delivery"] for r in hook_server.received}
    bodies = {r.body for r in hook_server.received}
    assert len(ids) == 1
    assert len(bodies) == 1  # the same signed body on every attempt
    assert all(r.signature_is_valid() for r in hook_server.received)
    delivery = TriggerDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    assert [entry["status_code"] for entry in delivery.history] == [transient, 500, 200]


def test_retries_back_off_exponentially_with_jitter(hook_server, fire):
    make_trigger(hook_server.url, "*:*:build.needs_approval")
    hook_server.statuses = [500, 500, 500]

    fire()
    send_due_retries()

    delivery = TriggerDelivery.objects.get()
    waits = [entry["retry_in"] for entry in delivery.history]
    assert waits[-1] is None  # delivered on the fourth attempt: nothing left to schedule
    for retry_number, wait in enumerate(waits[:-1]):
        nominal = 60 * 2**retry_number
        assert 0.75 * nominal <= wait <= 1.25 * nominal


def test_the_backoff_schedule_spans_about_a_day_and_is_capped():
    rng = random.Random(1)
    waits = [retry_delay(retry_number=n, rng=rng) for n in range(11)]

    assert max(waits) <= 1.25 * 8 * 3600
    assert timedelta(hours=18) < timedelta(seconds=sum(waits)) < timedelta(hours=31)


def test_a_client_error_is_not_retried(hook_server, fire):
    make_trigger(hook_server.url, "*:*:build.needs_approval")
    hook_server.statuses = [400]

    fire()

    assert len(hook_server.received) == 1
    delivery = TriggerDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 400)
    assert delivery.last_error == "HTTP 400"
    assert delivery.next_attempt_at is None


def test_retries_stop_after_the_configured_number(hook_server, fire, settings):
    settings.DORAHUB_TRIGGER_MAX_RETRIES = 2
    make_trigger(hook_server.url, "*:*:build.needs_approval")
    hook_server.statuses = [503] * 10

    fire()
    send_due_retries()

    assert len(hook_server.received) == 3  # the first attempt and two retries
    delivery = TriggerDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 503")


def test_a_connection_error_is_retried(hook_server, fire, settings):
    settings.DORAHUB_TRIGGER_MAX_RETRIES = 1
    trigger = make_trigger(hook_server.url, "*:*:build.needs_approval")
    # A port nobody listens on: the connection is refused.
    Trigger.objects.filter(pk=trigger.pk).update(url="http://127.0.0.1:9/nothing-here")

    fire()
    send_due_retries()

    delivery = TriggerDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error.startswith("Connection error")
    assert delivery.response_code is None


def test_a_slow_receiver_times_out_and_is_retried(hook_server, fire, settings, monkeypatch):
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            time.sleep(1.0)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    monkeypatch.setattr(outgoing, "TIMEOUT_SECONDS", 0.3)
    settings.DORAHUB_TRIGGER_MAX_RETRIES = 1
    make_trigger(f"http://127.0.0.1:{server.server_address[1]}/", "*:*:build.needs_approval")
    try:
        fire()
        send_due_retries()
    finally:
        server.shutdown()
        server.server_close()

    delivery = TriggerDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error.startswith("Timed out")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.10.1/",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://METADATA.google.internal./",
        "ftp://example.com/hook",
    ],
)
def test_metadata_and_link_local_targets_are_refused_when_saving(url):
    from apps.events.services import save_trigger
    from apps.events.targets import TargetRefused

    with pytest.raises(TargetRefused):
        save_trigger(name="evil", patterns=["*:*:*"], url=url, secret="s", all_projects=True)
    assert not Trigger.objects.exists()


def test_a_name_resolving_to_the_metadata_address_is_refused():
    from apps.events.targets import TargetRefused, validate_target

    # 2852039166 is 169.254.169.254 written as one number; only resolving it tells.
    with pytest.raises(TargetRefused, match=r"169\.254\.169\.254"):
        validate_target("http://2852039166/")


def test_a_target_changed_to_the_metadata_address_is_refused_at_send_time(hook_server, fire):
    trigger = make_trigger(hook_server.url, "*:*:build.needs_approval")
    Trigger.objects.filter(pk=trigger.pk).update(url="http://169.254.169.254/latest/")

    fire()

    delivery = TriggerDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "link-local" in delivery.last_error or "metadata" in delivery.last_error
    assert hook_server.received == []


def test_redeliver_sends_again_with_the_same_delivery_id(
    hook_server, fire, django_capture_on_commit_callbacks
):
    make_trigger(hook_server.url, "*:*:build.needs_approval")
    hook_server.statuses = [404]
    fire()
    delivery = TriggerDelivery.objects.get()
    assert delivery.status == "failed"

    with django_capture_on_commit_callbacks(execute=True):
        redeliver(delivery=delivery)

    first, second = hook_server.received
    assert first.headers["X-DoraHub-Delivery"] == second.headers["X-DoraHub-Delivery"]
    assert first.body == second.body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)


def test_a_duplicate_message_for_an_attempt_already_made_sends_nothing(hook_server, fire):
    from apps.events.tasks import deliver_trigger

    make_trigger(hook_server.url, "*:*:build.needs_approval")
    fire()
    delivery = TriggerDelivery.objects.get()

    assert deliver_trigger.delay(delivery.pk, 1).get() == "skipped"
    assert len(hook_server.received) == 1


def test_reconciliation_resends_a_retry_whose_message_was_lost(hook_server, fire, settings):
    settings.DORAHUB_TRIGGER_MAX_RETRIES = 0
    make_trigger(hook_server.url, "*:*:build.needs_approval")
    hook_server.statuses = [500]
    fire()
    # As if a retry had been scheduled and its message lost with the broker.
    TriggerDelivery.objects.update(
        status="retrying", next_attempt_at=timezone.now() - timedelta(minutes=30)
    )

    assert find_stalled().deliveries == [(TriggerDelivery.objects.get().pk, 2)]
    reconcile_triggers()

    delivery = TriggerDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len({r.headers["X-DoraHub-Delivery"] for r in hook_server.received}) == 1


def test_the_body_is_compact_json_signed_as_sent():
    source = outgoing.Source(
        project_id=7, project_slug="shop", connection_id=None, connection_name=None
    )
    body = outgoing.body_for(
        name="a:b:push", occurred_at="2024-01-01T00:00:00+00:00", source=source, data={}
    )
    assert json.loads(body) == {
        "event": "a:b:push",
        "occurred_at": "2024-01-01T00:00:00+00:00",
        "project": {"id": 7, "slug": "shop"},
        "connection": None,
        "data": {},
    }
    assert b" " not in body
    assert outgoing.sign(secret="k", body=body).startswith("sha256=")


def test_deactivating_a_trigger_stops_its_pending_retries(hook_server, fire, settings):
    from apps.events.tasks import deliver_trigger

    trigger = make_trigger(hook_server.url, "*:*:build.needs_approval")
    hook_server.statuses = [500] * 20
    # Stop after the first attempt, as if its retry were still waiting in the broker.
    settings.DORAHUB_TRIGGER_MAX_RETRIES = 0
    fire()
    TriggerDelivery.objects.update(status="retrying")
    Trigger.objects.filter(pk=trigger.pk).update(is_active=False)

    deliver_trigger.delay(TriggerDelivery.objects.get().pk, 2)

    delivery = TriggerDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("failed", "Trigger inactive")
    assert len(hook_server.received) == 1
