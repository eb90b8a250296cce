"""Every bad Pulse body gets the one error shape naming the field, stores nothing, and stays in
the inbox marked rejected; on the webhook and on the native routes alike."""

import pytest

from apps.deployments.models import Commit
from apps.issues.models import Issue
from tests.assertions import assert_rejected as shared_assert_rejected
from tests.conftest import Sender
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

CHANGE = {
    "$type": "change",
    "source": "cli",
    "change_id": "a" * 40,
    "time_created": "2024-03-01T10:00:00Z",
    "event_type": "commit",
}
DEPLOYMENT = {
    "$type": "deployment",
    "source": "cli",
    "deploy_id": "1.4.0",
    "time_created": "2024-03-02T09:00:00Z",
    "changes": ["a" * 40],
}
INCIDENT = {
    "$type": "incident",
    "source": "cli",
    "incident_id": "INC-7",
    "time_created": "2024-03-03T08:00:00Z",
    "time_resolved": "2024-03-03T09:00:00Z",
}
NATIVE_CHANGE = {"identifier": "a" * 40, "timestamp": 1709287200}
NATIVE_INCIDENT = {"identifier": "INC-7", "timestampCreated": 1709452800}
NATIVE_DEPLOYMENT = {"identifier": "1.4.0", "timestamp": 1709370000, "changes": ["a" * 40]}


@pytest.fixture
def pulse(db: None) -> Sender:
    connection = ConnectionFactory(kind="pulse")
    return Sender(connection=connection, token=token_for(connection))


@pytest.fixture
def ingest(api, pulse):
    def _post(body, query=""):
        return api.post(f"/v1/ingestion/cli?api_key={pulse.token}{query}", data=body, format="json")

    return _post


@pytest.fixture
def native(api, pulse):
    def _post(route, body):
        return api.post(
            f"/api/v1/connections/{pulse.connection.pk}/{route}",
            data=body,
            format="json",
            **pulse.auth,
        )

    return _post


def without(payload, key):
    return {k: v for k, v in payload.items() if k != key}


def assert_rejected(response, field):
    error = shared_assert_rejected(response, field, code="validation_error")
    assert field in error["message"] or len(error["fields"]) > 1


@pytest.mark.parametrize("kind", ["release", "CHANGE_EVENT", 7, ["change"]])
def test_an_unknown_type_is_rejected(ingest, kind):
    assert_rejected(ingest(CHANGE | {"$type": kind}), "$type")


def test_a_missing_type_is_rejected(ingest):
    assert_rejected(ingest(without(CHANGE, "$type")), "$type")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (CHANGE, "change_id"),
        (CHANGE, "time_created"),
        (DEPLOYMENT, "deploy_id"),
        (DEPLOYMENT, "time_created"),
        (DEPLOYMENT, "changes"),
        (INCIDENT, "incident_id"),
        (INCIDENT, "time_created"),
    ],
)
def test_missing_ids_and_times_are_rejected(ingest, body, field):
    assert_rejected(ingest(without(body, field)), field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (CHANGE, "time_created"),
        (DEPLOYMENT, "time_created"),
        (INCIDENT, "time_created"),
        (INCIDENT, "time_resolved"),
    ],
)
def test_times_without_an_offset_are_rejected(ingest, body, field):
    response = ingest(body | {field: "2024-03-03T10:00:00"})
    assert_rejected(response, field)
    assert "no UTC offset" in response.json()["error"]["fields"][field][0]


def test_an_incident_resolved_before_it_was_created_is_rejected(ingest):
    response = ingest(INCIDENT | {"time_resolved": "2024-03-03T07:59:59Z"})
    assert_rejected(response, "time_resolved")


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        (CHANGE, "change_id", "has space"),
        (CHANGE, "change_id", ""),
        (CHANGE, "event_type", "merge"),
        (CHANGE, "time_created", 1709287200),
        (DEPLOYMENT, "deploy_id", ""),
        (DEPLOYMENT, "environment", "QA"),
        (INCIDENT, "incident_id", "  "),
    ],
)
def test_wrong_values_are_rejected(ingest, body, field, value):
    assert_rejected(ingest(body | {field: value}), field)


def test_a_bad_change_sha_in_a_deployment_is_named_by_position(ingest):
    assert_rejected(ingest(DEPLOYMENT | {"changes": ["a" * 40, "b c"]}), "changes[1]")


def test_a_system_in_the_body_that_contradicts_the_url_is_rejected(ingest):
    assert_rejected(ingest(CHANGE | {"system": "web"}, query="&system=api"), "system")


def test_one_bad_event_in_a_batch_rejects_the_whole_batch(ingest):
    batch = [CHANGE, without(DEPLOYMENT, "time_created")]
    assert_rejected(ingest(batch), "[1].time_created")


@pytest.mark.parametrize("body", [[], [1], "text", 12])
def test_bodies_that_are_not_events_are_rejected(ingest, body):
    response = ingest(body)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]
    assert not Commit.objects.exists()


def test_too_many_events_in_one_request_are_rejected(ingest):
    assert_rejected(ingest([CHANGE] * 501), "body")


# --- the native routes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("changes", NATIVE_CHANGE, "identifier"),
        ("changes", NATIVE_CHANGE, "timestamp"),
        ("incidents", NATIVE_INCIDENT, "identifier"),
        ("incidents", NATIVE_INCIDENT, "timestampCreated"),
        ("deployments", NATIVE_DEPLOYMENT, "timestamp"),
        ("deployments", NATIVE_DEPLOYMENT, "changes"),
    ],
)
def test_native_routes_name_the_missing_field(native, route, body, field):
    assert_rejected(native(route, without(body, field)), field)


@pytest.mark.parametrize(
    ("route", "body", "field", "value"),
    [
        ("changes", NATIVE_CHANGE, "timestamp", "2024-03-01T10:00:00"),
        ("changes", NATIVE_CHANGE, "timestamp", 1709287200000000),
        ("changes", NATIVE_CHANGE, "timestamp", True),
        ("incidents", NATIVE_INCIDENT, "timestampResolved", 1709452799),
        ("deployments", NATIVE_DEPLOYMENT, "changes", []),
        ("deployments", NATIVE_DEPLOYMENT, "result", "DONE"),
    ],
)
def test_native_routes_name_the_wrong_field(native, route, body, field, value):
    assert_rejected(native(route, body | {field: value}), field)


def test_a_native_deployment_with_both_changes_and_commits_is_rejected(native):
    body = NATIVE_DEPLOYMENT | {"commits": ["b" * 40]}
    assert_rejected(native("deployments", body), "commits")


def test_an_unknown_connection_on_a_native_route_is_refused_like_another_connections(api, pulse):
    response = api.post(
        "/api/v1/connections/999999/changes", data=NATIVE_CHANGE, format="json", **pulse.auth
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_connection"


def test_another_connections_key_on_a_native_route_is_403(api, pulse):
    other = ConnectionFactory()
    response = api.post(
        f"/api/v1/connections/{other.pk}/incidents",
        data=NATIVE_INCIDENT,
        format="json",
        **pulse.auth,
    )
    assert response.status_code == 403
    assert not Issue.objects.exists()
