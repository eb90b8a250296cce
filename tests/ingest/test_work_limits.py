"""Every ingest route caps the work of one request (issue 16, finding 7): one item over a cap
is refused with the one error shape, naming the field and the limit, and nothing is written."""

import json
import uuid

import pytest
from django.conf import settings

from apps.deployments.models import Commit, Deployment
from apps.integrations.allstacks.serializers import MAX_OPTIONAL_FIELDS
from apps.integrations.devlake.serializers import MAX_COMMITS
from apps.integrations.github.serializers import MAX_PUSH_COMMITS as GITHUB_MAX
from apps.integrations.gitlab.serializers import MAX_PUSH_COMMITS as GITLAB_MAX
from apps.integrations.pulse.serializers import (
    MAX_BATCH_CHANGES,
    MAX_CHANGES,
    MAX_EVENTS,
    MAX_RECORDS,
)
from tests.ci import cirrus
from tests.factories import ConnectionFactory, token_for
from tests.integrations import github_payloads as gh
from tests.integrations import sources

pytestmark = pytest.mark.django_db

AT = "2024-03-01T10:00:00Z"


def sha(i: int) -> str:
    return f"{i:040x}"


def refused(response, *, field: str, limit: int, status: int = 400) -> None:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    text = json.dumps(error)
    assert field in text
    assert str(limit) in text
    assert not Commit.objects.exists()
    assert not Deployment.objects.exists()


@pytest.fixture
def pulse(api):
    connection = ConnectionFactory(kind="pulse")
    token = token_for(connection)

    def post(body):
        return api.post(f"/v1/ingestion/cli?api_key={token}", data=body, format="json")

    return post


def change(i: int) -> dict:
    return {"$type": "change", "change_id": sha(i), "time_created": AT}


def deployment(name: str, shas: list[str]) -> dict:
    return {"$type": "deployment", "deploy_id": name, "time_created": AT, "changes": shas}


def test_pulse_events_per_request(pulse):
    refused(pulse([change(i) for i in range(MAX_EVENTS + 1)]), field="body", limit=MAX_EVENTS)


def test_pulse_deployments_and_incidents_per_request(pulse):
    body = [deployment(f"d{i}", [sha(i)]) for i in range(MAX_RECORDS)]
    body.append({"$type": "incident", "incident_id": "i1", "time_created": AT})

    refused(pulse(body), field="body", limit=MAX_RECORDS)


def test_pulse_changes_per_request_count_every_deployment_and_change_event(pulse):
    half = MAX_BATCH_CHANGES // 2
    body = [
        deployment("a", [sha(i) for i in range(half)]),
        deployment("b", [sha(i) for i in range(half, 2 * half)]),
        *[change(2 * half + i) for i in range(MAX_BATCH_CHANGES - 2 * half + 1)],
    ]

    refused(pulse(body), field="body", limit=MAX_BATCH_CHANGES)


def test_pulse_changes_of_one_deployment(pulse):
    response = pulse(deployment("a", [sha(i) for i in range(MAX_CHANGES + 1)]))

    refused(response, field="changes", limit=MAX_CHANGES)


def test_a_pulse_batch_at_the_caps_is_accepted(pulse):
    body = [change(i) for i in range(MAX_EVENTS - MAX_RECORDS)]
    body += [deployment(f"d{i}", [sha(10_000 + i)]) for i in range(MAX_RECORDS)]

    response = pulse(body)

    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == MAX_EVENTS


def test_native_deployment_changes(api, sender):
    body = {
        "identifier": "v1",
        "timestamp": 1709287200,
        "changes": [sha(i) for i in range(MAX_CHANGES + 1)],
    }
    response = api.post(
        f"/api/v1/connections/{sender.connection.pk}/deployments",
        data=body,
        format="json",
        **sender.auth,
    )

    refused(response, field="changes", limit=MAX_CHANGES)


def test_devlake_deployment_commits(api, sender):
    commit = {"repo_url": "https://github.com/acme/shop", "start_time": AT, "end_time": AT}
    body = {
        "id": "d1",
        "start_time": AT,
        "end_time": AT,
        "deploymentCommits": [commit | {"commit_sha": sha(i)} for i in range(MAX_COMMITS + 1)],
    }
    response = api.post(
        f"/api/rest/plugins/webhook/{sender.connection.pk}/deployments",
        data=body,
        format="json",
        **sender.auth,
    )

    refused(response, field="deploymentCommits", limit=MAX_COMMITS)


def test_github_push_commits(api):
    connection = ConnectionFactory(kind="github", secret=gh.SECRET)
    commits = [{"id": sha(i), "message": "m", "timestamp": AT} for i in range(GITHUB_MAX + 1)]
    response = gh.deliver(api, connection, "push", {**gh.PUSH, "commits": commits})

    refused(response, field="commits", limit=GITHUB_MAX)


def test_gitlab_push_commits(api):
    connection = ConnectionFactory(kind="gitlab", secret=sources.SECRET)
    payload = sources.load("gitlab", "push_hook")
    payload["commits"] = [
        {"id": sha(i), "message": "m", "timestamp": AT} for i in range(GITLAB_MAX + 1)
    ]
    headers = {
        "HTTP_X_GITLAB_EVENT": "Push Hook",
        "HTTP_X_GITLAB_EVENT_UUID": str(uuid.uuid4()),
        "HTTP_X_GITLAB_TOKEN": sources.SECRET,
    }
    response = sources.post(api, connection, "gitlab", sources.encoded(payload), headers)

    refused(response, field="commits", limit=GITLAB_MAX)


def test_allstacks_optional_fields(api):
    connection = ConnectionFactory(kind="allstacks")
    body = {
        "job_id": "1",
        "status": "Succeeded",
        "commit_sha": sha(1),
        "service_id": connection.pk,
        "job_start_time": 1704018030,
        "job_duration": 300,
        "optional": [
            {"key": f"k{i}", "value": "v", "type": "string"} for i in range(MAX_OPTIONAL_FIELDS + 1)
        ],
    }
    response = api.post(
        "/webhook/company/1/cicd_job",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(connection)}",
    )

    refused(response, field="optional", limit=MAX_OPTIONAL_FIELDS)


def test_cirrus_task_labels(api):
    connection = ConnectionFactory(kind="cirrus", secret=cirrus.SECRET)
    payload = cirrus.task_event("COMPLETED", 1722408873403, uniqueLabels=["x"] * 101)

    refused(cirrus.deliver(api, connection, payload), field="uniqueLabels", limit=100)


def test_every_route_caps_the_body_bytes(api, sender):
    limit = settings.DORAHUB_MAX_BODY_BYTES
    response = api.post(
        f"/api/v1/connections/{sender.connection.pk}/deployments",
        data=b"[" + b" " * limit + b"]",
        content_type="application/json",
        **sender.auth,
    )

    refused(response, field="bytes", limit=limit, status=413)
