"""Pulse's ingestion webhook, `POST /v1/ingestion/<provider>?api_key=...`, driven with the
bodies Codacy's event CLI sends, so Pulse users switch by changing only the URL and key."""

import io
import logging
from datetime import UTC, datetime, timedelta

import pytest

from apps.connections.services import revoke_token
from apps.deployments.models import Commit, Deployment, DeploymentCommit
from apps.ingest import pipeline
from apps.ingest.models import Delivery
from apps.integrations.pulse import providers
from apps.issues.models import Issue
from apps.marks.models import DirtyDay
from tests.conftest import Sender
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

SHA_A = "a" * 40
SHA_B = "b" * 40

# The shapes of codacy/pulse-event-cli's events (Go's time.Time marshals to RFC 3339).
CHANGE = {
    "source": "cli",
    "change_id": SHA_A,
    "time_created": "2024-03-01T10:00:00+01:00",
    "event_type": "commit",
    "$type": "change",
}
DEPLOYMENT = {
    "source": "cli",
    "deploy_id": "1.4.0",
    "time_created": "2024-03-02T09:00:00Z",
    "changes": [SHA_A, SHA_B],
    "$type": "deployment",
}
INCIDENT = {
    "source": "cli",
    "incident_id": "INC-7",
    "time_created": "2024-03-03T08:00:00Z",
    "$type": "incident",
}


@pytest.fixture
def pulse(db: None) -> Sender:
    connection = ConnectionFactory(kind="pulse")
    return Sender(connection=connection, token=token_for(connection))


@pytest.fixture
def ingest(api, pulse):
    def _post(body, *, provider="cli", key=None, **query):
        params = "&".join(f"{k}={v}" for k, v in {"api_key": key or pulse.token, **query}.items())
        return api.post(f"/v1/ingestion/{provider}?{params}", data=body, format="json")

    return _post


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_commit_change_records_its_authored_time_as_the_start(ingest, pulse):
    response = ingest(CHANGE)

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "recorded"
    commit = Commit.objects.get(sha=SHA_A)
    assert commit.project == pulse.connection.project
    assert commit.authored_at == at("2024-03-01T09:00:00+00:00")
    assert commit.start_at == commit.authored_at
    assert commit.reported_at is None


def test_a_push_change_records_when_it_was_reported(ingest):
    ingest(CHANGE | {"event_type": "push"})

    commit = Commit.objects.get(sha=SHA_A)
    assert commit.reported_at == at("2024-03-01T09:00:00+00:00")
    assert commit.start_at == commit.reported_at


def test_a_deployment_contains_its_changes_and_finishes_at_time_created(ingest, pulse):
    response = ingest(DEPLOYMENT)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["external_id"], body["status"], body["commit_count"]) == ("1.4.0", "created", 2)
    deployment = Deployment.objects.get(pk=body["id"])
    assert deployment.connection == pulse.connection
    assert deployment.name == "1.4.0"
    assert (deployment.environment, deployment.result) == ("PRODUCTION", "SUCCESS")
    assert deployment.finished_at == at("2024-03-02T09:00:00+00:00")
    shas = DeploymentCommit.objects.filter(deployment=deployment).values_list("commit__sha")
    assert sorted(sha for (sha,) in shas) == [SHA_A, SHA_B]


def test_system_in_the_query_string_is_the_service_of_everything_reported(ingest):
    ingest(CHANGE, system="checkout")
    ingest(DEPLOYMENT, system="checkout")
    ingest(INCIDENT, system="checkout")

    assert Commit.objects.get(sha=SHA_A).service == "checkout"
    assert Deployment.objects.get().service == "checkout"
    assert Issue.objects.get().service == "checkout"


@pytest.mark.parametrize("order", ["change first", "deployment first"])
def test_a_change_reported_before_or_after_its_deployment_has_the_same_lead_time(ingest, order):
    bodies = [CHANGE, DEPLOYMENT] if order == "change first" else [DEPLOYMENT, CHANGE]
    for body in bodies:
        assert ingest(body).status_code in (200, 201)

    deployment = Deployment.objects.get()
    commit = Commit.objects.get(sha=SHA_A)
    assert deployment.finished_at - commit.start_at == timedelta(hours=24)


def test_a_change_reported_after_its_deployment_marks_that_day_for_recomputation(ingest):
    ingest(DEPLOYMENT)
    DirtyDay.objects.all().delete()  # as if the snapshots had been rebuilt since

    ingest(CHANGE)

    assert list(DirtyDay.objects.values_list("environment", "day")) == [
        ("PRODUCTION", at("2024-03-02T09:00:00+00:00").date())
    ]


def test_a_change_without_repository_is_the_commit_another_route_deployed(api, ingest, pulse):
    devlake_body = {
        "id": "release-9",
        "repo_url": "https://github.com/acme/shop",
        "commit_sha": SHA_A,
        "start_time": "2024-03-02T08:50:00Z",
        "end_time": "2024-03-02T09:00:00Z",
    }
    deployed = api.post(
        f"/api/v1/connections/{pulse.connection.pk}/deployments",
        data=devlake_body,
        format="json",
        **pulse.auth,
    )
    assert deployed.status_code == 201

    ingest(CHANGE)

    commit = Commit.objects.get()
    assert commit.repository.url == "https://github.com/acme/shop"
    assert commit.start_at == at("2024-03-01T09:00:00+00:00")
    assert commit.deployments.get().external_id == "release-9"


def test_a_change_matches_deployments_of_another_connection_of_the_same_project(api, pulse):
    other = ConnectionFactory(kind="devlake", project=pulse.connection.project)
    other_token = token_for(other)
    api.post(
        f"/v1/ingestion/cli?api_key={other_token}", data=DEPLOYMENT, format="json"
    )  # the same project, another sender
    api.post(f"/v1/ingestion/cli?api_key={pulse.token}", data=CHANGE, format="json")

    assert Commit.objects.count() == 2  # SHA_A and SHA_B, once each
    assert Commit.objects.get(sha=SHA_A).deployment_commits.count() == 1


def test_an_incident_reported_open_is_resolved_by_posting_it_again_with_time_resolved(ingest):
    opened = ingest(INCIDENT)
    assert opened.status_code == 201, opened.json()
    incident = Issue.objects.get(issue_key="INC-7")
    assert incident.is_incident
    assert incident.resolved_at is None

    resolved = ingest(INCIDENT | {"time_resolved": "2024-03-03T09:30:00Z"})

    assert resolved.status_code == 200
    assert resolved.json()["resolved_at"] == "2024-03-03T09:30:00+00:00"
    incident.refresh_from_db()
    assert incident.status == "DONE"
    assert incident.resolved_at - incident.created_at == timedelta(minutes=90)


def test_an_incident_sent_again_without_resolution_stays_resolved(ingest):
    ingest(INCIDENT | {"time_resolved": "2024-03-03T09:30:00Z"})

    ingest(INCIDENT)  # a retried "opened" report arriving late

    incident = Issue.objects.get()
    assert incident.status == "DONE"
    assert incident.resolved_at == at("2024-03-03T09:30:00+00:00")


def test_reposting_the_same_events_changes_nothing(ingest):
    first = [ingest(body).json() for body in (CHANGE, DEPLOYMENT, INCIDENT)]
    again = [ingest(body) for body in (CHANGE, DEPLOYMENT, INCIDENT)]

    assert [r.status_code for r in again] == [200, 200, 200]
    assert [r.json()["status"] for r in again] == ["unchanged"] * 3
    assert again[1].json()["id"] == first[1]["id"]
    assert (Commit.objects.count(), Deployment.objects.count(), Issue.objects.count()) == (2, 1, 1)
    statuses = Delivery.objects.order_by("id").values_list("status", flat=True)
    assert list(statuses) == ["accepted"] * 3 + ["duplicate"] * 3


def test_the_key_may_also_be_sent_as_a_bearer_token(api, pulse):
    response = api.post("/v1/ingestion/cli", data=CHANGE, format="json", **pulse.auth)

    assert response.status_code == 200
    assert Delivery.objects.get().connection == pulse.connection


def test_a_batch_of_events_is_applied_together(ingest):
    response = ingest([CHANGE, CHANGE | {"change_id": SHA_B}, DEPLOYMENT])

    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r.get("status") for r in results] == ["recorded", "recorded", "created"]
    assert Deployment.objects.get().commits.count() == 2
    assert Delivery.objects.get().effects == {"deployments": [Deployment.objects.get().pk]}


def test_the_query_string_key_never_reaches_the_inbox(ingest, pulse):
    ingest(CHANGE, system="checkout")

    delivery = Delivery.objects.get()
    assert delivery.route == "pulse_cli"
    assert delivery.route_params == {"provider": "cli"}
    assert delivery.query == {"api_key": "[REDACTED]", "system": "checkout"}
    assert pulse.token not in str(delivery.query) + str(delivery.headers)
    assert delivery.connection == pulse.connection


def test_the_query_string_key_never_reaches_the_request_log(pulse):
    # The console handler is the one runserver and gunicorn request lines go through; a refused
    # request's line is a warning, logged even at the quiet default level.
    handler = logging.getLogger("django.server").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("django.server").warning(
            '"%s" %s %s', f"POST /v1/ingestion/cli?api_key={pulse.token}&system=x HTTP/1.1", 401, 9
        )
    finally:
        handler.setStream(previous)

    line = stream.getvalue()
    assert "/v1/ingestion/cli?api_key=[REDACTED]&system=x" in line
    assert pulse.token not in line


def test_an_unknown_provider_is_404_listing_the_supported_ones(ingest, monkeypatch):
    monkeypatch.setitem(providers.PROVIDERS, "later", "apps.integrations.later.receivers.Later")

    for provider in ("jenkins", "later"):
        response = ingest(CHANGE, provider=provider)
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "unknown_provider"
        supported = error["message"].split("supported: ")[1].rstrip(".").split(", ")
        assert "cli" in supported
        assert "later" not in supported
    assert not Commit.objects.exists()


def test_another_providers_receiver_is_served_with_the_keys_connection(ingest, pulse, monkeypatch):
    # How the Cirrus and GitHub adapters plug in: by dotted path to their receiver.
    monkeypatch.setitem(
        providers.PROVIDERS, "devlake", "apps.integrations.native.receivers.DeploymentsReceiver"
    )
    body = {"repo_url": "r", "commit_sha": SHA_A, "start_time": "2024-03-01T00:00:00Z"}

    response = ingest(body, provider="devlake")

    assert response.status_code == 201, response.json()
    assert Deployment.objects.get().connection == pulse.connection
    delivery = Delivery.objects.get()
    assert (delivery.route, delivery.route_params) == ("deployments", {"provider": "devlake"})


def test_an_ingested_delivery_can_be_reprocessed_without_its_key(ingest):
    ingest(DEPLOYMENT)
    Deployment.objects.all().delete()

    response = pipeline.replay(delivery=Delivery.objects.get())

    assert response.status_code == 201
    assert Deployment.objects.get().external_id == "1.4.0"


@pytest.mark.parametrize("kind", ["unknown", "revoked", "missing", "malformed"])
def test_a_bad_key_is_401_and_the_attempt_is_in_the_inbox(api, pulse, kind):
    key = {"unknown": "dh_" + "x" * 43, "malformed": "nope"}.get(kind, pulse.token)
    if kind == "revoked":
        revoke_token(token=pulse.connection.tokens.get())
    url = "/v1/ingestion/cli" if kind == "missing" else f"/v1/ingestion/cli?api_key={key}"

    response = api.post(url, data=CHANGE, format="json")

    assert response.status_code == 401, response.json()
    assert response.json()["error"]["message"]
    assert not Commit.objects.exists()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.connection) == ("rejected", None)
