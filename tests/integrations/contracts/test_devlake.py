"""Apache DevLake's incoming webhook (CONTRACTS.md §2), as its clients send it: config-ui's
curl (`Authorization: Bearer <key>`, no Content-Type, so curl labels the JSON
form-urlencoded) to `/api/rest/plugins/webhook/...`, the backend port's `/rest/plugins/
webhook/...`, the keyless `/plugins/webhook/...`; camelCase bodies; DevLake's time forms; and
DevLake's answer, 200 with `success`."""

import json

import pytest

from apps.ingest.models import Delivery
from tests.conftest import Sender
from tests.factories import ConnectionFactory, ProjectFactory, token_for
from tests.integrations.contracts.helpers import deployments, issues, metrics

pytestmark = pytest.mark.django_db

SHA = "015e3d3b480e417aede5a1293bd61de9b0fd051d"
MERGE_SHA = "bf0a79c57dff8f5f1f393de315ee5105a535e059"
REPO = "https://github.com/org/repo"
FORM = "application/x-www-form-urlencoded"  # what curl -d says when no type is given


@pytest.fixture
def devlake() -> Sender:
    connection = ConnectionFactory(kind="devlake", project=ProjectFactory(slug="shop", name="Shop"))
    return Sender(connection=connection, token=token_for(connection))


def curl(api, path: str, body: dict | None, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body).encode() if body is not None else b""
    return api.generic("POST", path, data=data, content_type=FORM, **headers)


def deployment(**fields) -> dict:
    """config-ui's deployment sample (camelCase, DevLake >= 1.0)."""
    return {
        "id": "deploy-1",
        "startedDate": "2024-03-05T11:00:00+00:00",
        "finishedDate": "2024-03-05T12:00:00+00:00",
        "result": "SUCCESS",
        "deploymentCommits": [
            {
                "repoUrl": REPO,
                "refName": "main",
                "startedDate": "2024-03-05T11:00:00+00:00",
                "finishedDate": "2024-03-05T12:00:00+00:00",
                "commitSha": SHA,
                "commitMsg": "release",
            }
        ],
    } | fields


def test_config_ui_deployment_curl_is_answered_as_devlake_answers(api, devlake):
    path = f"/api/rest/plugins/webhook/connections/{devlake.connection.pk}/deployments"

    response = curl(api, path, deployment(), devlake.token)

    assert response.status_code == 200
    body = response.json()
    assert (body["success"], body["message"], body["code"]) == (True, "success", 0)
    assert body["status"] == "created"  # DORA Hub's own fields stay beside DevLake's
    [stored] = deployments(devlake.token)
    assert (stored["external_id"], stored["finished_at"]) == ("deploy-1", "2024-03-05T12:00:00Z")


@pytest.mark.parametrize(
    "form",
    [
        "/api/rest/plugins/webhook/{id}/{route}",
        "/api/rest/plugins/webhook/connections/{id}/{route}",
        "/api/rest/plugins/webhook/connections/by-name/{name}/{route}",
        "/rest/plugins/webhook/{id}/{route}",
        "/rest/plugins/webhook/connections/{id}/{route}",
        "/rest/plugins/webhook/connections/by-name/{name}/{route}",
    ],
)
def test_every_keyed_route_form_takes_deployments_issues_close_and_pull_requests(
    api, devlake, form
):
    def at(route: str) -> str:
        return form.format(id=devlake.connection.pk, name=devlake.connection.name, route=route)

    answers = [
        curl(api, at("deployments"), deployment(), devlake.token),
        curl(api, at("issues"), ISSUE, devlake.token),
        curl(api, at("issue/INC-1/close"), None, devlake.token),
        curl(api, at("pull_requests"), PULL_REQUEST, devlake.token),
    ]

    assert [(a.status_code, a.json()["success"]) for a in answers] == [(200, True)] * 4
    [incident] = issues(devlake.token)
    assert incident["resolved_at"] is not None


@pytest.mark.parametrize("prefix", ["/plugins/webhook", "/api/plugins/webhook"])
def test_the_keyless_forms_answer_401_saying_a_token_is_needed(api, devlake, prefix):
    path = f"{prefix}/connections/{devlake.connection.pk}/deployments"

    response = curl(api, path, deployment(), token=None)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "not_authenticated"
    assert "Authorization: Bearer <token>" in error["message"]
    assert deployments(devlake.token) == []
    assert Delivery.objects.get().status == "rejected"


def test_project_deployments_go_to_the_tokens_connection_in_the_named_project(api, devlake):
    ok = curl(
        api, "/api/rest/plugins/webhook/projects/shop/deployments", deployment(), devlake.token
    )
    other = curl(
        api, "/rest/plugins/webhook/projects/elsewhere/deployments", deployment(), devlake.token
    )

    assert (ok.status_code, ok.json()["success"]) == (200, True)
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "wrong_project"
    assert [d["connection"] for d in deployments(devlake.token)] == [devlake.connection.pk]


# --- DevLake's times: zoneless read as UTC, -0700 offsets, on DevLake's routes only --------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2024-03-05 12:00:00", "2024-03-05T12:00:00Z"),
        ("2024-03-05 12:00", "2024-03-05T12:00:00Z"),
        ("2024-03-05T07:00:00-0500", "2024-03-05T12:00:00Z"),
    ],
)
def test_devlake_time_forms_are_read_as_devlake_reads_them(api, devlake, sent, stored):
    path = f"/api/rest/plugins/webhook/{devlake.connection.pk}/deployments"

    response = curl(api, path, deployment(finishedDate=sent), devlake.token)

    assert response.status_code == 200, response.content
    assert deployments(devlake.token)[0]["finished_at"] == stored


def test_the_inbox_records_how_a_zoneless_time_was_read(api, devlake):
    path = f"/api/rest/plugins/webhook/{devlake.connection.pk}/deployments"

    curl(api, path, deployment(finishedDate="2024-03-05 12:00:00"), devlake.token)

    [reading] = Delivery.objects.get().readings
    assert reading["field"] == "end_time"
    assert reading["value"] == "2024-03-05 12:00:00"
    assert "read as UTC (2024-03-05T12:00:00+00:00)" in reading["read_as"]


def test_dora_hubs_native_route_keeps_refusing_zoneless_times(api, devlake):
    path = f"/api/v1/connections/{devlake.connection.pk}/deployments"

    response = curl(api, path, deployment(finishedDate="2024-03-05 12:00:00"), devlake.token)

    assert response.status_code == 400
    assert "no UTC offset" in response.json()["error"]["fields"]["end_time"][0]


# --- pull requests: changes whose start is the earliest of the PR and its first commit -----

ISSUE = {
    "issueKey": "INC-1",
    "title": "Checkout returns 500",
    "type": "INCIDENT",
    "status": "TODO",
    "originalStatus": "open",
    "createdDate": "2024-03-05 13:00:00",
}
# DevLake's documented example (api/pull_requests.go), a squash merge, with DORA Hub's
# optional stages: the work began two days before the PR was opened.
PULL_REQUEST = {
    "id": "pr1",
    "baseRepoId": "webhook:1",
    "headRepoId": "repo_fork1",
    "status": "MERGED",
    "originalStatus": "OPEN",
    "displayTitle": "Feature: Add new functionality",
    "url": f"{REPO}/pull/1",
    "authorName": "johndoe",
    "pullRequestKey": 1,
    "createdDate": "2024-03-04T09:00:00Z",
    "firstCommitDate": "2024-03-02T12:00:00Z",
    "firstReviewDate": "2024-03-04T15:00:00Z",
    "mergedDate": "2024-03-05T10:00:00Z",
    "closedDate": None,
    "mergeCommitSha": MERGE_SHA,
    "headRef": "repo_fork1:feature-branch",
    "baseRef": "main",
    "isDraft": False,
}


def test_a_squash_merged_pull_request_starts_its_change_at_its_first_commit(api, devlake):
    base = f"/api/rest/plugins/webhook/connections/{devlake.connection.pk}"
    pr = curl(api, f"{base}/pull_requests", PULL_REQUEST, devlake.token)
    shipped = deployment(
        deploymentCommits=[
            deployment()["deploymentCommits"][0] | {"commitSha": MERGE_SHA, "commitMsg": "squash"}
        ]
    )

    curl(api, f"{base}/deployments", shipped, devlake.token)

    assert pr.json()["change"] == {"sha": MERGE_SHA, "start_at": "2024-03-02T12:00:00+00:00"}
    lead_time = metrics(devlake.token)["lead_time"]
    assert lead_time["changes"] == 1
    # 2024-03-02T12:00Z (first commit) to 2024-03-05T12:00Z (deployed): three days.
    assert lead_time["median_seconds"] == 3 * 86400


def test_the_change_shows_its_pull_request_stages(api, devlake, staff_client):
    base = f"/api/rest/plugins/webhook/{devlake.connection.pk}"
    curl(api, f"{base}/pull_requests", PULL_REQUEST, devlake.token)
    curl(
        api,
        f"{base}/deployments",
        deployment(deploymentCommits=[{"repoUrl": REPO, "commitSha": MERGE_SHA}]),
        devlake.token,
    )
    [shipped] = deployments(devlake.token)

    page = staff_client.get(f"/projects/shop/deployments/{shipped['id']}/")

    text = page.content.decode()
    assert "first commit 2024-03-02 12:00" in text
    assert "opened 2024-03-04 09:00" in text
    assert "first review 2024-03-04 15:00" in text
    assert "merged 2024-03-05 10:00" in text


def test_an_open_pull_request_is_stored_without_a_change(api, devlake):
    body = PULL_REQUEST | {"status": "OPEN", "mergedDate": None, "mergeCommitSha": ""}

    response = curl(
        api, f"/rest/plugins/webhook/{devlake.connection.pk}/pull_requests", body, devlake.token
    )

    assert response.status_code == 200
    assert response.json()["pull_request_status"] == "OPEN"
    assert response.json()["change"] is None
    assert metrics(devlake.token)["lead_time"]["changes"] == 0


def test_a_merged_pull_request_without_a_merge_date_names_the_field(api, devlake):
    body = PULL_REQUEST | {"mergedDate": None}

    response = curl(
        api, f"/rest/plugins/webhook/{devlake.connection.pk}/pull_requests", body, devlake.token
    )

    assert response.status_code == 400
    assert "mergedDate" in response.json()["error"]["fields"]
