"""Issue 16 finding 5: a repository URL whose port or host cannot be read is the sender's
mistake, a 400 naming the field on every route that takes one, never a 500, and the inbox says
rejected at once."""

import json

import pytest

from apps.deployments.models import Deployment, Repository
from apps.ingest.models import Delivery, DeliveryStatus
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

SHA = "a2e7da86cc392417b0d9f605b28038aae80b002f"
BROKEN = [
    "https://github.com:99999/acme/api",  # port out of range
    "https://github.com:http/acme/api",  # port not a number
    "https://[::1/acme/api",  # IPv6 host without its closing bracket
    "https://[github.com]/acme/api",  # not an IPv6 address inside the brackets
]


def post(client, path, token, body):
    return client.post(
        path,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def routes(connection_id):
    start = "2024-03-01T12:00:00+00:00"
    return {
        "devlake deployment": (
            f"/api/rest/plugins/webhook/{connection_id}/deployments",
            lambda url: {"repo_url": url, "commit_sha": SHA, "start_time": start},
            "repo_url",
        ),
        "devlake deployment commit": (
            f"/api/rest/plugins/webhook/{connection_id}/deployments",
            lambda url: {
                "start_time": start,
                "deploymentCommits": [{"repo_url": url, "commit_sha": SHA}],
            },
            "deploymentCommits[0].repo_url",
        ),
        "devlake incident": (
            f"/api/rest/plugins/webhook/{connection_id}/issues",
            lambda url: {
                "issue_key": "INC-1",
                "title": "down",
                "status": "TODO",
                "created_date": start,
                "repo_url": url,
            },
            "repo_url",
        ),
        "allstacks job": (
            "/webhook/company/1/cicd_job",
            lambda url: {
                "job_id": "deploy-7",
                "status": "Succeeded",
                "commit_sha": SHA,
                "repo_name": url,
                "service_id": connection_id,
                "job_start_time": 1704018030,
                "job_duration": 300,
            },
            "repo_name",
        ),
    }


@pytest.mark.parametrize("url", BROKEN)
@pytest.mark.parametrize(
    "route",
    ["devlake deployment", "devlake deployment commit", "devlake incident", "allstacks job"],
)
def test_an_unreadable_repository_url_is_a_400_naming_the_field(client, route, url):
    connection = ConnectionFactory(kind="allstacks" if route.startswith("allstacks") else "devlake")
    path, body, field = routes(connection.pk)[route]

    response = post(client, path, token_for(connection), body(url))

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()
    assert not Repository.objects.exists()
    assert not Deployment.objects.exists()
    assert Delivery.objects.get().status == DeliveryStatus.REJECTED


@pytest.mark.parametrize("url", BROKEN)
def test_pulse_refuses_an_unreadable_repository_naming_the_field(client, url):
    connection = ConnectionFactory(kind="pulse")
    body = {
        "$type": "deployment",
        "source": "cli",
        "deploy_id": "1.4.0",
        "time_created": "2024-03-02T09:00:00Z",
        "changes": [SHA],
        "repository": url,
    }

    response = client.post(
        f"/v1/ingestion/cli?api_key={token_for(connection)}",
        data=json.dumps(body),
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
    assert "repository" in response.json()["error"]["fields"]
    assert Delivery.objects.get().status == DeliveryStatus.REJECTED


def test_a_port_that_can_be_read_is_still_kept(client):
    connection = ConnectionFactory(kind="devlake")
    path, body, _ = routes(connection.pk)["devlake deployment"]

    response = post(client, path, token_for(connection), body("https://git.acme.io:8443/acme/api"))

    assert response.status_code == 200, response.content  # DevLake's route answers 200
    assert Repository.objects.get().url == "https://git.acme.io:8443/acme/api"
