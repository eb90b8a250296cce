"""incident.io webhooks: incident.io's example deliveries, signed in the Standard Webhooks
(Svix) scheme with a timestamp tolerance."""

import time
from datetime import UTC, datetime

import pytest

from apps.ingest.models import Delivery, DeliveryStatus
from apps.integrations.incidentio.receivers import signature_matches
from apps.issues.models import Issue
from tests.factories import ConnectionFactory
from tests.integrations import sources as src

pytestmark = pytest.mark.django_db
ROUTE = "incidentio"
CREATED = "public_incident.incident_created_v2"
UPDATED = "public_incident.incident_updated_v2"
STATUS = "public_incident.incident_status_updated_v2"


@pytest.fixture
def incidentio():
    return ConnectionFactory(kind="incidentio", secret=src.SVIX_SECRET)


def deliver(api, connection, payload, **signing):
    body = src.encoded(payload)
    return src.post(api, connection, ROUTE, body, src.incidentio_headers(body, **signing))


def closed(updated_at="2026-05-07T11:00:00Z"):
    """The status-updated example as INC-123 (the created example) being closed."""
    incident = src.load("incidentio", "incident_created_v2")[CREATED]
    incident["incident_status"] = {"id": "s", "name": "Closed", "category": "closed", "rank": 99}
    incident["updated_at"] = updated_at
    payload = src.load("incidentio", "incident_status_updated_v2")
    payload[STATUS]["incident"] = incident
    return payload


@pytest.mark.parametrize("name", src.fixture_names("incidentio"))
def test_every_example_delivery_is_answered_2xx(api, incidentio, name):
    response = deliver(api, incidentio, src.raw("incidentio", name))

    assert response.status_code in (200, 202), response.json()


def test_a_created_incident_is_open_and_closing_it_resolves_it(api, staff_client, incidentio):
    deliver(api, incidentio, src.load("incidentio", "incident_created_v2"))
    listed = staff_client.get("/api/v1/issues").json()["results"]
    assert [(row["external_id"], row["is_incident"], row["status"]) for row in listed] == [
        ("INC-123", True, "IN_PROGRESS")
    ]

    deliver(api, incidentio, closed())

    incident = Issue.objects.get()
    assert (incident.status, incident.resolved_at) == ("DONE", datetime(2026, 5, 7, 11, tzinfo=UTC))
    assert incident.severity == "Major"


def test_mitigation_is_kept_beside_and_ends_recovery_where_the_project_chooses(api):
    plain = ConnectionFactory(kind="incidentio", secret=src.SVIX_SECRET)
    chosen = ConnectionFactory(
        kind="incidentio", secret=src.SVIX_SECRET, settings={"resolve_at_mitigation": True}
    )
    mitigated = src.load("incidentio", "incident_updated_v2")

    deliver(api, plain, mitigated)
    deliver(api, chosen, mitigated)

    kept = Issue.objects.get(connection=plain)
    assert (kept.status, kept.resolved_at) == ("IN_PROGRESS", None)
    assert kept.extra["mitigated_at"] == "2026-05-07T10:20:00+00:00"
    stopped = Issue.objects.get(connection=chosen)
    assert (stopped.status, stopped.resolved_at) == (
        "DONE",
        datetime(2026, 5, 7, 10, 20, tzinfo=UTC),
    )


def test_a_declined_incident_stops_counting(api, incidentio):
    deliver(api, incidentio, src.load("incidentio", "incident_created_v2"))
    incident = src.load("incidentio", "incident_created_v2")[CREATED]
    incident["incident_status"]["category"] = "declined"
    incident["updated_at"] = "2026-05-07T10:05:00Z"
    declined = {"event_type": UPDATED, UPDATED: incident}

    deliver(api, incidentio, declined)

    assert not Issue.objects.get().is_incident


def test_a_close_that_arrives_before_the_creation_keeps_it_closed(api, incidentio):
    deliver(api, incidentio, closed())
    deliver(api, incidentio, src.load("incidentio", "incident_created_v2"))

    incident = Issue.objects.get()
    assert (incident.status, incident.resolved_at) == ("DONE", datetime(2026, 5, 7, 11, tzinfo=UTC))


def test_a_timestamp_outside_five_minutes_is_refused(api, incidentio):
    response = deliver(
        api,
        incidentio,
        src.load("incidentio", "incident_created_v2"),
        timestamp=int(time.time()) - 301,
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "timestamp_out_of_tolerance"
    assert not Issue.objects.exists()


@pytest.mark.parametrize(
    "drop", ["HTTP_WEBHOOK_ID", "HTTP_WEBHOOK_TIMESTAMP", "HTTP_WEBHOOK_SIGNATURE"]
)
def test_a_missing_header_is_401(api, incidentio, drop):
    body = src.raw("incidentio", "incident_created_v2")
    headers = src.incidentio_headers(body)
    del headers[drop]

    response = src.post(api, incidentio, ROUTE, body, headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_missing"


def test_a_signature_with_another_secret_is_401(api, incidentio):
    other = "whsec_" + "b3RoZXIgc2VjcmV0IGtleQ=="

    response = deliver(api, incidentio, src.load("incidentio", "incident_created_v2"), secret=other)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"


def test_a_retried_message_is_a_duplicate(api, incidentio):
    payload = src.load("incidentio", "incident_created_v2")

    first = deliver(api, incidentio, payload, message_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
    again = deliver(api, incidentio, payload, message_id="msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")

    assert again.json() == first.json()
    assert Delivery.objects.order_by("id").last().status == DeliveryStatus.DUPLICATE


def test_the_standard_webhooks_reference_vector():
    # The Standard Webhooks specification's example: this secret, id, timestamp and body.
    assert signature_matches(
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp="1614265330",
        body=b'{"test": 2432232314}',
        header="v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    )
