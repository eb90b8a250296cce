"""Cirrus CI webhook deliveries (CONTRACTS.md §4): `X-Cirrus-Event`, the lower-case hex
HMAC-SHA256 of the raw body in `X-Cirrus-Signature`, flat payloads. Cirrus counts only 200 as
delivered, so every delivery DORA Hub handles or deliberately ignores is answered 200."""

import json

import pytest

from apps.ingest.models import Delivery
from tests.ci import cirrus
from tests.conftest import Sender
from tests.factories import ConnectionFactory, token_for
from tests.integrations.contracts.helpers import deployments

pytestmark = pytest.mark.django_db

# The audit event's shape as webhooks-server's testdata has it: flat, `data` a JSON string.
AUDIT_EVENT = {
    "id": "bb2bde61-24e6-475c-a8a7-3f03bedcbd61",
    "type": "graphql.mutation",
    "timestamp": 1722518406287,
    "data": '{"mutation":"RerunTask"}',
    "actor": {"id": 5702969901449216, "username": "edigaryev"},
    "actorLocationIp": "203.0.113.9",
    "action": "created",
    "repository": {},
    "build": {},
    "task": {},
}


@pytest.fixture
def sender() -> Sender:
    connection = ConnectionFactory(kind="cirrus", secret=cirrus.SECRET)
    return Sender(connection=connection, token=token_for(connection))


def deliver(api, sender: Sender, event: str, payload: dict):
    body = json.dumps(payload, separators=(",", ":")).encode()
    return api.generic(
        "POST",
        f"/api/v1/connections/{sender.connection.pk}/cirrus",
        data=body,
        content_type="application/json",
        HTTP_X_CIRRUS_EVENT=event,
        HTTP_X_CIRRUS_SIGNATURE=cirrus.sign(body),
        HTTP_X_CIRRUS_TIMESTAMP="1722518406300",
    )


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("build", cirrus.build_event("EXECUTING")),
        ("task", cirrus.task_event("EXECUTING", 1722408869403)),
        (
            "task",
            cirrus.task_event("COMPLETED", 1722408899403, old_status="EXECUTING", name="deploy"),
        ),
        ("audit_event", AUDIT_EVENT),
    ],
    ids=["build", "task", "deploy-task-completed", "audit-event-ignored"],
)
def test_every_handled_or_ignored_delivery_is_answered_200(api, sender, event, payload):
    response = deliver(api, sender, event, payload)

    assert response.status_code == 200, response.content
    assert Delivery.objects.get().status == "accepted"


def test_an_audit_event_is_recorded_and_changes_nothing_a_user_reads(api, sender):
    response = deliver(api, sender, "audit_event", AUDIT_EVENT)

    assert response.json() == {"event": "audit_event", "status": "ignored"}
    assert deployments(sender.token) == []


def test_a_retried_delivery_is_answered_as_the_first_time_and_marked_as_a_replay(api, sender):
    payload = cirrus.task_event("COMPLETED", 1722408899403, old_status="EXECUTING", name="deploy")

    first = deliver(api, sender, "task", payload)
    retried = deliver(api, sender, "task", payload)

    assert retried.status_code == first.status_code == 200
    assert retried.json() == first.json()
    assert "Idempotent-Replayed" not in first
    assert retried["Idempotent-Replayed"] == "true"
    assert [d.status for d in Delivery.objects.order_by("id")] == ["accepted", "duplicate"]
    assert len(deployments(sender.token)) == 1
