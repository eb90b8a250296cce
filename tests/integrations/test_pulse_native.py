"""The native routes with the Pulse CLI's field names: changes, incidents, and deployments
given as a plain list of commit identifiers; `system` is the service everywhere."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.deployments.models import Commit, Deployment
from apps.issues.models import Issue
from tests.conftest import Sender
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

SHA = "c" * 40
T0 = 1709287200  # 2024-03-01T10:00:00Z


def utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


@pytest.fixture
def pulse(db: None) -> Sender:
    connection = ConnectionFactory(kind="pulse")
    return Sender(connection=connection, token=token_for(connection))


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


def test_a_change_is_recorded_with_its_service_and_repository(native):
    body = {
        "identifier": SHA,
        "timestamp": T0,
        "system": "checkout",
        "repository": "git@github.com:acme/shop.git",
    }
    response = native("changes", body)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "sha": SHA,
        "status": "recorded",
        "service": "checkout",
        "start_at": "2024-03-01T10:00:00+00:00",
    }
    commit = Commit.objects.get()
    assert commit.reported_at == utc(T0)
    assert commit.repository.url == "https://github.com/acme/shop"


def test_a_later_report_of_the_same_change_keeps_the_earliest_start(native):
    native("changes", {"identifier": SHA, "timestamp": T0})
    later = native("changes", {"identifier": SHA, "timestamp": T0 + 3600})
    earlier = native("changes", {"identifier": SHA, "timestamp": T0 - 60})

    assert later.json()["status"] == "unchanged"
    assert earlier.json()["status"] == "recorded"
    assert Commit.objects.get().start_at == utc(T0 - 60)


@pytest.mark.parametrize("key", ["changes", "commits"])
def test_a_deployment_with_a_plain_list_of_commit_identifiers(native, pulse, key):
    body = {
        "identifier": "2024.03.1",
        "timestamp": T0 + 7200,
        key: [SHA, "d" * 40],
        "system": "checkout",
        "environment": "staging",
        "result": "failure",
        "repository": "https://github.com/acme/shop",
    }
    response = native("deployments", body)

    assert response.status_code == 201, response.json()
    deployment = Deployment.objects.get(pk=response.json()["id"])
    assert deployment.external_id == "2024.03.1"
    assert deployment.finished_at == utc(T0 + 7200)
    assert (deployment.environment, deployment.result) == ("STAGING", "FAILURE")
    assert deployment.service == "checkout"
    assert deployment.repository.url == "https://github.com/acme/shop"
    assert deployment.commits.count() == 2


def test_a_change_reported_after_its_native_deployment_gives_the_same_lead_time(native):
    native("deployments", {"identifier": "v1", "timestamp": T0 + 7200, "changes": [SHA]})
    native("changes", {"identifier": SHA, "timestamp": T0})

    deployment = Deployment.objects.get()
    assert deployment.finished_at - Commit.objects.get().start_at == timedelta(hours=2)


def test_devlake_bodies_keep_working_on_the_same_route(native):
    devlake = {"repo_url": "r", "commit_sha": SHA, "start_time": "2024-03-01T10:00:00Z"}
    pulse_style = {"identifier": "v1", "timestamp": T0, "changes": [SHA]}

    assert native("deployments", devlake).status_code == 201
    assert native("deployments", pulse_style).status_code == 201
    assert Deployment.objects.count() == 2
    assert Commit.objects.count() == 1


def test_an_incident_is_opened_then_resolved_and_names_its_deployment(native):
    opened = native(
        "incidents",
        {
            "identifier": "INC-1",
            "timestampCreated": T0,
            "system": "checkout",
            "deployment": "2024.03.1",
        },
    )
    assert opened.status_code == 201, opened.json()
    incident = Issue.objects.get()
    assert (incident.is_incident, incident.status, incident.resolved_at) == (True, "TODO", None)
    assert incident.service == "checkout"
    assert incident.caused_by_ref == "2024.03.1"

    resolved = native(
        "incidents",
        {
            "identifier": "INC-1",
            "timestampCreated": T0,
            "timestampResolved": T0 + 1800,
            "system": "checkout",
            "deployment": "2024.03.1",
        },
    )

    assert resolved.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "DONE"
    assert incident.resolved_at - incident.created_at == timedelta(minutes=30)


def test_the_service_filters_deployments_and_incidents_in_the_api(native, api, pulse):
    for i, system in enumerate(["checkout", "search", ""]):
        native(
            "deployments",
            {"identifier": f"v{i}", "timestamp": T0, "changes": [SHA], "system": system},
        )
        native("incidents", {"identifier": f"INC-{i}", "timestampCreated": T0, "system": system})

    deployments = api.get("/api/v1/deployments?service=checkout", **pulse.auth).json()
    issues = api.get("/api/v1/issues?service=checkout", **pulse.auth).json()

    assert [d["external_id"] for d in deployments["results"]] == ["v0"]
    assert [i["external_id"] for i in issues["results"]] == ["INC-0"]
