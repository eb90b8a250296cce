"""PagerDuty V3 webhooks: PagerDuty's documented deliveries, signed as PagerDuty signs them."""

from datetime import UTC, datetime

import pytest

from apps.events.models import LifecycleEvent
from apps.ingest.models import Delivery, DeliveryStatus
from apps.integrations.pagerduty.receivers import signature_matches
from apps.issues.models import Issue
from tests.factories import ConnectionFactory
from tests.integrations import sources as src

pytestmark = pytest.mark.django_db
ROUTE = "pagerduty"


@pytest.fixture
def pagerduty():
    return ConnectionFactory(kind="pagerduty", secret=src.SECRET)


def deliver(api, connection, payload, *secrets):
    body = src.encoded(payload)
    return src.post(api, connection, ROUTE, body, src.pagerduty_headers(body, *secrets))


def incident_event(event_type: str, occurred_at: str, **data):
    """The documented incident payload as one incident's event at a given time."""
    base = src.load("pagerduty", "incident_priority_updated")
    return src.changed(
        base,
        **{
            "event.id": f"{event_type}-{occurred_at}",
            "event.event_type": event_type,
            "event.occurred_at": occurred_at,
            **{f"event.data.{key}": value for key, value in data.items()},
        },
    )


@pytest.mark.parametrize("name", src.fixture_names("pagerduty"))
def test_every_documented_delivery_is_answered_2xx(api, pagerduty, name):
    response = src.post(
        api,
        pagerduty,
        ROUTE,
        src.raw("pagerduty", name),
        src.pagerduty_headers(src.raw("pagerduty", name)),
    )

    assert response.status_code in (200, 202), response.json()


def test_a_triggered_incident_is_an_open_incident_in_the_read_api(api, staff_client, pagerduty):
    response = deliver(api, pagerduty, incident_event("incident.triggered", "2020-04-09T15:16:30Z"))

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    listed = staff_client.get("/api/v1/issues").json()["results"]
    assert [(row["external_id"], row["is_incident"], row["status"]) for row in listed] == [
        ("PGR0VU2", True, "TODO")
    ]
    assert listed[0]["created_at"] == "2020-04-09T15:16:27Z"
    assert listed[0]["service"] == "API Service"  # unmapped services keep PagerDuty's name
    stored = Issue.objects.get()
    assert (stored.priority, stored.severity) == ("P1", "high")


def test_resolved_stamps_the_event_time_and_reopened_clears_it(api, pagerduty):
    deliver(api, pagerduty, incident_event("incident.triggered", "2020-04-09T15:16:30Z"))
    deliver(
        api,
        pagerduty,
        incident_event("incident.resolved", "2020-04-09T16:00:00Z", status="resolved"),
    )
    assert Issue.objects.get().resolved_at == datetime(2020, 4, 9, 16, tzinfo=UTC)

    deliver(api, pagerduty, incident_event("incident.reopened", "2020-04-09T17:00:00Z"))

    reopened = Issue.objects.get()
    assert (reopened.status, reopened.resolved_at) == ("TODO", None)


def test_a_resolve_that_arrives_before_its_trigger_keeps_the_incident_resolved(api, pagerduty):
    resolved = incident_event("incident.resolved", "2020-04-09T16:00:00Z", status="resolved")
    triggered = incident_event("incident.triggered", "2020-04-09T15:16:30Z")

    assert deliver(api, pagerduty, resolved).status_code == 200
    late = deliver(api, pagerduty, triggered)

    assert (late.status_code, late.json()["status"]) == (200, "stale")

    incident = Issue.objects.get()
    assert incident.status == "DONE"
    assert incident.resolved_at == datetime(2020, 4, 9, 16, tzinfo=UTC)
    assert incident.created_at == datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC)


def test_the_service_map_names_the_dora_hub_service(api):
    connection = ConnectionFactory(
        kind="pagerduty", secret=src.SECRET, settings={"service_map": {"PF9KMXH": "checkout"}}
    )

    deliver(api, connection, incident_event("incident.triggered", "2020-04-09T15:16:30Z"))

    assert Issue.objects.get().service == "checkout"


def test_any_of_several_signatures_may_match_while_a_secret_rotates(api, pagerduty):
    response = deliver(
        api, pagerduty, src.load("pagerduty", "incident_triggered"), "old-secret", src.SECRET
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "signature_missing"),
        ({"HTTP_X_PAGERDUTY_SIGNATURE": "v1=" + "0" * 64}, "signature_invalid"),
        ({"HTTP_X_PAGERDUTY_SIGNATURE": "v0=abc"}, "signature_invalid"),
    ],
)
def test_a_missing_or_wrong_signature_is_401_and_writes_nothing(api, pagerduty, headers, code):
    response = src.post(api, pagerduty, ROUTE, src.raw("pagerduty", "incident_triggered"), headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert not Issue.objects.exists()
    assert Delivery.objects.get().status == DeliveryStatus.REJECTED


def test_a_connection_without_a_secret_accepts_nothing(api):
    connection = ConnectionFactory(kind="pagerduty")

    response = deliver(api, connection, src.load("pagerduty", "incident_triggered"))

    # Answered as a wrong signature: a signer cannot tell it from an unknown connection.
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"


def test_a_retried_event_is_answered_as_a_duplicate(api, pagerduty):
    payload = src.load("pagerduty", "incident_triggered")

    first = deliver(api, pagerduty, payload)
    again = deliver(api, pagerduty, payload)

    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert list(Delivery.objects.order_by("id").values_list("status", flat=True)) == [
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.DUPLICATE,
    ]
    assert Issue.objects.count() == 1


def test_acknowledged_and_annotated_are_recorded_as_activity(api, pagerduty):
    deliver(api, pagerduty, src.load("pagerduty", "incident_acknowledged"))
    deliver(api, pagerduty, src.load("pagerduty", "incident_annotated"))

    assert not Issue.objects.exists()
    assert list(LifecycleEvent.objects.order_by("id").values_list("event", "data__issue_key")) == [
        ("incident.acknowledged", "PQ1K5C8"),
        ("incident.annotated", "Q3B15VLMF3ASBD"),
    ]


def test_a_service_event_is_answered_202_and_ignored(api, pagerduty):
    response = deliver(api, pagerduty, src.load("pagerduty", "service_updated"))

    assert response.status_code == 202
    assert response.json()["status"] == "ignored"


def test_a_naive_event_time_is_a_400_naming_the_field(api, pagerduty):
    payload = src.changed(
        src.load("pagerduty", "incident_triggered"), **{"event.occurred_at": "2021-06-04T13:35:29"}
    )

    response = deliver(api, pagerduty, payload)

    assert response.status_code == 400
    assert "event.occurred_at" in response.json()["error"]["fields"]
    assert not Issue.objects.exists()


def test_the_documented_signature_algorithm():
    body = b'{"event":{}}'
    header = f"v1={src.hex_hmac('old', body)}, v1={src.hex_hmac('new', body)}"

    assert signature_matches(secret="new", body=body, header=header)
    assert not signature_matches(secret="other", body=body, header=header)
