"""Jira webhooks: Jira's example deliveries, signed `X-Hub-Signature: sha256=...`."""

from datetime import UTC, datetime

import pytest

from apps.ingest.models import Delivery, DeliveryStatus
from apps.issues.models import Issue
from tests.factories import ConnectionFactory
from tests.integrations import sources as src

pytestmark = pytest.mark.django_db
ROUTE = "jira"


@pytest.fixture
def jira():
    return ConnectionFactory(kind="jira", secret=src.SECRET)


def deliver(api, connection, payload, **headers):
    body = src.encoded(payload)
    return src.post(api, connection, ROUTE, body, {**src.jira_headers(body), **headers})


def incident(event="jira:issue_created", **fields):
    """Jira's issue_created example as an issue of type Incident."""
    base = src.load("jira", "issue_created")
    return src.changed(
        base,
        webhookEvent=event,
        **{"issue.fields.issuetype.name": "Incident"},
        **{f"issue.fields.{key}": value for key, value in fields.items()},
    )


@pytest.mark.parametrize("name", src.fixture_names("jira"))
def test_every_example_delivery_is_answered_2xx(api, jira, name):
    response = deliver(api, jira, src.raw("jira", name))

    assert response.status_code in (200, 202), response.json()


def test_an_incident_type_issue_is_an_incident_and_a_bug_is_not(api, staff_client, jira):
    deliver(api, jira, src.load("jira", "issue_created"))  # a Bug
    assert not Issue.objects.get().is_incident

    deliver(api, jira, incident(**{"status.statusCategory": {"key": "new"}}))

    listed = staff_client.get("/api/v1/issues").json()["results"]
    assert [(row["external_id"], row["is_incident"], row["status"]) for row in listed] == [
        ("BUG-15", True, "TODO")
    ]
    assert listed[0]["created_at"] == "2013-03-27T16:53:58.301000Z"
    assert Issue.objects.get().url == "http://lfranchi.com:8080/browse/BUG-15"


def test_the_resolution_date_resolves_it(api, jira):
    deliver(api, jira, incident())

    deliver(
        api,
        jira,
        incident(
            "jira:issue_updated",
            resolutiondate="2013-03-27T18:10:00.000+0100",
            updated="2013-03-27T17:10:00.000+0000",
        ),
    )

    resolved = Issue.objects.get()
    assert (resolved.status, resolved.resolved_at) == (
        "DONE",
        datetime(2013, 3, 27, 17, 10, tzinfo=UTC),
    )


def test_labels_and_project_keys_are_the_connections_rule(api):
    scoped = ConnectionFactory(
        kind="jira",
        secret=src.SECRET,
        settings={"incident_label": "outage", "incident_projects": ["ops"]},
    )
    labelled = src.changed(src.load("jira", "issue_created"), **{"issue.fields.labels": ["Outage"]})

    deliver(api, scoped, labelled)  # project BUG is not one of the incident projects
    assert not Issue.objects.get().is_incident

    deliver(api, scoped, src.changed(labelled, **{"issue.fields.project.key": "OPS"}))
    assert Issue.objects.get().is_incident


def test_a_deleted_incident_stops_counting(api, jira):
    deliver(api, jira, incident())

    deliver(api, jira, incident("jira:issue_deleted", updated="2013-03-27T17:05:34.250+0000"))

    assert not Issue.objects.get().is_incident


def test_a_resolution_that_arrives_before_the_creation_keeps_the_truth(api, jira):
    resolved = incident(
        "jira:issue_updated",
        resolutiondate="2013-03-27T17:10:00.000+0000",
        updated="2013-03-27T17:10:00.000+0000",
    )

    deliver(api, jira, resolved)
    deliver(api, jira, incident())

    kept = Issue.objects.get()
    assert (kept.status, kept.resolved_at) == ("DONE", datetime(2013, 3, 27, 17, 10, tzinfo=UTC))


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "signature_missing"),
        ({"HTTP_X_HUB_SIGNATURE": "sha256=" + "0" * 64}, "signature_invalid"),
    ],
)
def test_a_missing_or_wrong_signature_is_401(api, jira, headers, code):
    response = src.post(api, jira, ROUTE, src.raw("jira", "issue_created"), headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert not Issue.objects.exists()


def test_a_retry_with_the_same_webhook_identifier_is_a_duplicate(api, jira):
    body = src.raw("jira", "issue_created")
    headers = src.jira_headers(body, identifier="7a7b0f5e-retry")

    first = src.post(api, jira, ROUTE, body, headers)
    again = src.post(api, jira, ROUTE, body, headers)

    assert again.json() == first.json()
    assert Delivery.objects.order_by("id").last().status == DeliveryStatus.DUPLICATE


def test_a_time_without_offset_is_a_400_naming_the_field(api, jira):
    response = deliver(api, jira, incident(created="2013-03-27T16:53:58.301"))

    assert response.status_code == 400
    assert "issue.fields.created" in response.json()["error"]["fields"]
