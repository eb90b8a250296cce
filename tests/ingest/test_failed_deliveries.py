"""Issue 16 finding 5 (the general rule): a delivery whose processing raised is marked failed
with its error in the inbox at once, never left "not yet answered", and the reconciliation
replays it a bounded number of times."""

import pytest

from apps.deployments.models import Deployment
from apps.ingest.models import Delivery, DeliveryStatus
from apps.ingest.tasks import retry_failed_deliveries
from apps.integrations import outcomes
from apps.integrations.native import receivers as native_receivers

pytestmark = pytest.mark.django_db

BODY = {
    "repo_url": "https://github.com/acme/api",
    "commit_sha": "abc123",
    "start_time": "2024-01-01T12:00:00+00:00",
}


@pytest.fixture
def broken_writes(monkeypatch):
    """The deployment write path raising, as a bug or a lost database connection would;
    `failures` says how many calls fail before it works again."""
    real = native_receivers.upsert_deployment
    state = {"failures": 1}

    def upsert(**kwargs):
        if state["failures"]:
            state["failures"] -= 1
            raise RuntimeError("simulated crash in the write path")
        return real(**kwargs)

    def upsert_many(**kwargs):
        # The set-based road meets the same bug; the applier then writes each alone, above.
        if state["failures"]:
            raise RuntimeError("simulated crash in the write path")
        return real_many(**kwargs)

    real_many = outcomes.upsert_deployments
    monkeypatch.setattr(native_receivers, "upsert_deployment", upsert)
    monkeypatch.setattr(outcomes, "upsert_deployments", upsert_many)
    return state


def post(sender):
    from django.test import Client

    return Client(raise_request_exception=False).post(
        f"/api/v1/connections/{sender.connection.pk}/deployments",
        data=BODY,
        content_type="application/json",
        **sender.auth,
    )


def test_a_crash_is_recorded_as_failed_with_its_error_at_once(sender, broken_writes):
    response = post(sender)

    assert response.status_code == 500
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_status == 500
    assert "RuntimeError: simulated crash in the write path" in delivery.error
    assert not Deployment.objects.exists()


def test_the_reconciliation_replays_a_failed_delivery(sender, broken_writes, settings):
    post(sender)

    assert retry_failed_deliveries() == {"failed": 1, "answered": 1}

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("accepted", 201, 2)
    assert Deployment.objects.count() == 1
    assert retry_failed_deliveries() == {"failed": 0, "answered": 0}


def test_replays_stop_after_the_configured_number_of_attempts(sender, broken_writes, settings):
    settings.DORAHUB_INBOX_MAX_ATTEMPTS = 3
    broken_writes["failures"] = 100
    post(sender)

    runs = [retry_failed_deliveries() for _ in range(4)]

    assert [run["failed"] for run in runs] == [1, 1, 0, 0]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert "simulated crash" in delivery.error


def test_a_delivery_that_failed_before_authentication_is_never_replayed(sender, monkeypatch):
    from apps.ingest import receivers

    def crash(self, inbound, connection):
        raise RuntimeError("crash while checking the token")

    monkeypatch.setattr(receivers.Receiver, "authenticate", crash)
    post(sender)
    monkeypatch.undo()

    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert retry_failed_deliveries() == {"failed": 0, "answered": 0}
