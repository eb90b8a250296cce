"""The one road of every delivery (apps/ingest/pipeline.py), driven directly with a receiver of
its own: recorded first, NUL refused before any query, duplicates and replays answered from the
inbox, expected errors in the one error shape, unexpected ones marked failed and re-raised, and
a handler's writes kept or dropped whole."""

from typing import Any

import pytest

from apps.connections.models import Connection, Project
from apps.connections.services import issue_token, revoke_token
from apps.ingest import pipeline
from apps.ingest.models import Delivery, DeliveryStatus
from apps.ingest.receivers import RECEIVERS, Inbound, Outcome, Receiver
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

ROUTE = "tests.pipeline"


class ProjectsReceiver(Receiver):
    """Creates the project the body names; `{"crash": true}` raises as a bug would, after
    writing, and a body without `slug` is a 400 after writing too."""

    route = ROUTE
    handled = 0

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        type(self).handled += 1
        project = Project.objects.create(slug=payload.get("slug", "half"), name="written")
        if payload.get("crash"):
            raise RuntimeError("simulated bug in a handler")
        if "slug" not in payload:
            from apps.core.errors import InvalidInput

            raise InvalidInput(fields={"slug": ["This field is required."]})
        return Outcome(status_code=201, body={"id": project.pk}, effects={})


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setitem(RECEIVERS, ROUTE, ProjectsReceiver)  # replays find it by route
    monkeypatch.setattr(ProjectsReceiver, "handled", 0)
    return ProjectsReceiver()


@pytest.fixture
def sender():
    connection = ConnectionFactory()
    return connection, issue_token(connection=connection)


def deliver(
    receiver: Receiver,
    sender: tuple[Connection, Any],
    body: bytes = b'{"slug": "shop"}',
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
):
    connection, issued = sender
    return pipeline.receive(
        receiver=receiver,
        params={"connection_id": connection.pk, **(params or {})},
        headers={"Authorization": f"Bearer {issued.plaintext}", **(headers or {})},
        query=query or {},
        body=body,
    )


def test_an_accepted_delivery_is_answered_and_recorded_with_its_connection(receiver, sender):
    response = deliver(receiver, sender, headers={"Idempotency-Key": "k-1"})

    project = Project.objects.get(slug="shop")
    assert (response.status_code, response.data) == (201, {"id": project.pk})
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.ACCEPTED
    assert (delivery.response_status, delivery.response_body) == (201, {"id": project.pk})
    assert delivery.connection_id == sender[0].pk
    assert delivery.delivery_id == "k-1"
    assert bytes(delivery.body) == b'{"slug": "shop"}'


def test_an_unexpected_exception_marks_the_delivery_failed_and_propagates(receiver, sender):
    with pytest.raises(RuntimeError, match="simulated bug in a handler"):
        deliver(receiver, sender, body=b'{"slug": "crashing", "crash": true}')

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_status == 500
    assert delivery.response_body == {
        "error": {"code": "server_error", "message": "The delivery could not be processed."}
    }
    assert delivery.error == "RuntimeError: simulated bug in a handler"
    assert not Project.objects.filter(slug="crashing").exists()  # the handler's write is undone
    assert bytes(delivery.body)  # kept for the bounded replays of the reconciliation


def test_an_expected_error_is_answered_in_the_error_shape_and_undoes_the_handlers_writes(
    receiver, sender
):
    response = deliver(receiver, sender, body=b'{"name": "no slug"}')

    assert response.status_code == 400
    assert response.data["error"]["code"] == "validation_error"
    assert response.data["error"]["fields"] == {"slug": ["This field is required."]}
    assert not Project.objects.filter(slug="half").exists()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.REJECTED, 400)
    assert delivery.error == response.data["error"]["message"]


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ({"headers": {"X-Trace\x00": "1"}}, "headers.X-Trace\\u0000"),
        ({"headers": {"X-Trace": "a\x00b"}}, "headers.X-Trace"),
        ({"query": {"system": "web\x00"}}, "query.system"),
        ({"params": {"connection_name": "ci\x00"}}, "path.connection_name"),
    ],
)
def test_a_nul_anywhere_outside_the_body_is_refused_before_any_work(receiver, sender, where, field):
    response = deliver(receiver, sender, **where)

    assert response.status_code == 400
    assert response.data["error"]["fields"] == {field: ["NUL characters are not allowed."]}
    assert ProjectsReceiver.handled == 0
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.REJECTED
    assert delivery.connection_id is None  # refused before the connection was looked up


def test_a_repeated_idempotency_key_gets_the_first_answer_marked_replayed(receiver, sender):
    first = deliver(receiver, sender, headers={"Idempotency-Key": "deploy-7"})
    again = deliver(receiver, sender, headers={"Idempotency-Key": "deploy-7"})

    assert (again.status_code, again.data) == (first.status_code, first.data)
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert ProjectsReceiver.handled == 1
    assert [d.status for d in Delivery.objects.order_by("pk")] == [
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.DUPLICATE,
    ]


def test_the_same_key_on_another_connection_is_a_new_delivery(receiver, sender):
    other = ConnectionFactory(project=sender[0].project)
    deliver(receiver, sender, headers={"Idempotency-Key": "k"})
    second = deliver(
        receiver,
        (other, issue_token(connection=other)),
        body=b'{"slug": "other"}',
        headers={"Idempotency-Key": "k"},
    )

    assert second.status_code == 201
    assert ProjectsReceiver.handled == 2
    assert not second.has_header("Idempotent-Replayed")


def test_a_rejected_delivery_does_not_make_its_key_a_duplicate(receiver, sender):
    deliver(receiver, sender, body=b"{}", headers={"Idempotency-Key": "retry-me"})
    fixed = deliver(receiver, sender, headers={"Idempotency-Key": "retry-me"})

    assert fixed.status_code == 201
    assert Project.objects.filter(slug="shop").exists()


def test_a_replay_processes_the_stored_body_again_without_authenticating(receiver, sender):
    deliver(receiver, sender)
    delivery = Delivery.objects.get()
    Project.objects.filter(slug="shop").delete()
    revoke_token(token=sender[1].token)  # the sender was authenticated when it arrived

    response = pipeline.replay(delivery=delivery)

    assert response.status_code == 201
    assert Project.objects.filter(slug="shop").exists()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.status == DeliveryStatus.ACCEPTED


def test_a_replayed_duplicate_answers_with_the_original(receiver, sender):
    first = deliver(receiver, sender, headers={"Idempotency-Key": "k"})
    deliver(receiver, sender, headers={"Idempotency-Key": "k"})
    duplicate = Delivery.objects.get(status=DeliveryStatus.DUPLICATE)

    response = pipeline.replay(delivery=duplicate)

    assert (response.status_code, response.data) == (201, first.data)
    assert response["Idempotent-Replayed"] == "true"
    assert ProjectsReceiver.handled == 1


def test_a_refused_token_is_recorded_without_a_connection(receiver, sender):
    revoke_token(token=sender[1].token)

    response = deliver(receiver, sender)

    assert response.status_code == 401
    assert response.data["error"]["code"] == "token_revoked"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.connection_id) == (DeliveryStatus.REJECTED, None)
    assert ProjectsReceiver.handled == 0
