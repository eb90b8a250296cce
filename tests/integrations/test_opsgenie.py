"""Opsgenie outgoing webhooks: Opsgenie's example deliveries, sent with the connection's token
in the `Authorization: Bearer` custom header the Webhook integration is given."""

from datetime import UTC, datetime

import pytest

from apps.events.models import LifecycleEvent
from apps.ingest.models import Delivery, DeliveryStatus
from apps.issues.models import Issue
from tests.factories import ConnectionFactory, token_for
from tests.integrations import sources as src

pytestmark = pytest.mark.django_db
ROUTE = "opsgenie"
ALERT = "052652ac-5d1c-464a-812a-7dd18bbfba8c"


@pytest.fixture
def opsgenie():
    connection = ConnectionFactory(kind="opsgenie", settings={"incident_label": "tag1"})
    connection.token = token_for(connection)
    return connection


def deliver(api, connection, payload, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token or connection.token}"}
    return src.post(api, connection, ROUTE, src.encoded(payload), headers)


def created(**alert):
    """Opsgenie's Create example, as the alert that acknowledge/close examples act on."""
    base = src.load("opsgenie", "acknowledge")
    return src.changed(base, action="Create", **{f"alert.{k}": v for k, v in alert.items()})


@pytest.mark.parametrize("name", src.fixture_names("opsgenie"))
def test_every_example_delivery_is_answered_2xx(api, opsgenie, name):
    response = deliver(api, opsgenie, src.raw("opsgenie", name))

    assert response.status_code in (200, 202), response.json()


def test_an_alert_tagged_as_the_rule_says_is_an_incident_closed_by_close(
    api, staff_client, opsgenie
):
    deliver(api, opsgenie, created(updatedAt=1420452191104000000))
    listed = staff_client.get("/api/v1/issues").json()["results"]
    assert [(row["external_id"], row["is_incident"], row["status"]) for row in listed] == [
        (ALERT, True, "TODO")
    ]
    assert listed[0]["created_at"] == "2015-01-05T10:03:11.104000Z"

    response = deliver(api, opsgenie, src.load("opsgenie", "close"))

    assert response.status_code == 200
    incident = Issue.objects.get()
    # The Close example carries no tags: the alert stays the incident it was.
    assert incident.is_incident
    assert incident.status == "DONE"
    assert incident.resolved_at == datetime(2015, 1, 5, 10, 6, 14, 669002, tzinfo=UTC)


def test_priority_decides_by_default_and_the_rule_is_the_connections(api):
    default = ConnectionFactory(kind="opsgenie")
    token = token_for(default)

    deliver(api, default, src.load("opsgenie", "create"), token)  # P3, tagged "vip"
    assert not Issue.objects.get().is_incident

    vip = ConnectionFactory(kind="opsgenie", settings={"incident_priorities": ["p3"]})
    deliver(api, vip, src.load("opsgenie", "create"), token_for(vip))
    assert Issue.objects.get(connection=vip).is_incident


def test_acknowledge_is_activity_and_changes_no_incident(api, opsgenie):
    deliver(api, opsgenie, created())

    deliver(api, opsgenie, src.load("opsgenie", "acknowledge"))

    assert Issue.objects.get().status == "TODO"
    assert LifecycleEvent.objects.filter(event="incident.acknowledged").count() == 1


def test_a_close_that_arrives_before_its_create_keeps_the_alert_closed(api, opsgenie):
    deliver(api, opsgenie, src.load("opsgenie", "close"))
    deliver(api, opsgenie, created(updatedAt=1420452191104000000))

    incident = Issue.objects.get()
    assert incident.status == "DONE"
    assert incident.resolved_at == datetime(2015, 1, 5, 10, 6, 14, 669002, tzinfo=UTC)


@pytest.mark.parametrize("authorization", ["", "Bearer dh_wrongtoken"])
def test_a_missing_or_unknown_token_is_401(api, opsgenie, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = src.post(api, opsgenie, ROUTE, src.raw("opsgenie", "create"), headers)

    assert response.status_code == 401
    assert not Issue.objects.exists()


def test_another_connections_token_is_403(api, opsgenie):
    other = ConnectionFactory(kind="opsgenie")

    response = deliver(api, opsgenie, src.load("opsgenie", "create"), token_for(other))

    assert response.status_code == 403


def test_a_retried_delivery_is_a_duplicate(api, opsgenie):
    first = deliver(api, opsgenie, src.raw("opsgenie", "create"))
    again = deliver(api, opsgenie, src.raw("opsgenie", "create"))

    assert again.json() == first.json()
    assert Delivery.objects.order_by("id").last().status == DeliveryStatus.DUPLICATE


def test_a_priority_outside_p1_to_p5_is_a_400_naming_the_field(api, opsgenie):
    response = deliver(api, opsgenie, created(priority="urgent"))

    assert response.status_code == 400
    assert "alert.priority" in response.json()["error"]["fields"]
