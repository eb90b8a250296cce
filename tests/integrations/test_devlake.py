"""DevLake's incoming webhooks, driven with the seed document's own sample bodies."""

import pytest

from apps.deployments.models import Commit, Deployment, DeploymentCommit, Repository
from apps.ingest.models import Delivery
from apps.issues.models import Issue

pytestmark = pytest.mark.django_db

# Verbatim from ../shared/seeds/001 (DevLake webhook docs).
SINGLE_REPO = """{
"pipeline_id": "optional-pipeline-id",
"environment":"PRODUCTION",
"repo_url":"https://github.com/apache/incubator-devlake/",
"repo_id": "optional-repo-id",
"name": "optional-deployment-name. If you do not post a name, DevLake will generate one for you.",
"ref_name": "optional-release-v0.17",
"commit_sha":"015e3d3b480e417aede5a1293bd61de9b0fd051d",
"commit_msg":"optional-commit-message",
"create_time":"2020-01-01T11:00:00+00:00",
"start_time":"2020-01-01T12:00:00+00:00",
"end_time":"2020-01-02T13:00:00+00:00",
"result": "FAILURE"
}"""

MULTI_REPO = """{
"pipeline_id": "optional-pipeline-id",
"environment":"PRODUCTION",
"repo_id": "optional-repo-id",
"name": "optional-deployment-name. If you do not post a name, DevLake will generate one for you.",
"create_time":"2020-01-01T11:00:00+00:00",
"start_time":"2020-01-01T12:00:00+00:00",
"end_time":"2020-01-02T13:00:00+00:00",
"result": "FAILURE",
"deploymentCommits":[
{
"repo_url":"repo-1",
"name":"optional, if null, it will be deployment for {commit_sha}",
"ref_name": "optional-release-v0.17",
"commit_sha":"c1",
"commit_msg":"optional-msg-1"
},
{
"repo_url":"repo-2",
"name":"optional, if null, it will be deployment for {commit_sha}",
"ref_name": "optional-release-v0.17",
"commit_sha":"c2",
"commit_msg":"optional-msg-2"
}
]
}"""

MINIMAL = """{
"deploymentCommits":[
{
"commit_sha":"the-sha-of-deployment-commit1",
"repo_url":"the repo URL of the deployment commit"
}
],
"start_time":"2020-01-01T12:00:00+00:00",
"end_time":"2020-01-02T12:00:00+00:00"
}"""

INCIDENT = """{
"issue_key":"DLK-1234",
"title":"a feature from DLK",
"description":"",
"url":"",
"type":"INCIDENT",
"status":"TODO",
"created_date":"2020-01-01T12:00:00+00:00",
"updated_date":"2020-01-01T12:00:00+00:00",
"priority":"",
"severity":"",
"creator_id":"user1131",
"creator_name":"Nick name 1",
"assignee_id":"user1132",
"assignee_name":"Nick name 2"
}"""

CAMEL = {
    "id": "deploy-42",
    "environment": "staging",
    "startedDate": "2024-03-01T09:00:00Z",
    "finishedDate": "2024-03-01T10:05:00+01:00",
    "createdDate": "2024-03-01T08:59:00Z",
    "result": "success",
    "deploymentCommits": [
        {
            "repoUrl": "https://github.com/acme/api.git",
            "commitSha": "a" * 40,
            "refName": "main",
            "commitMsg": "feat: x",
        },
    ],
}


def post(api, url, body, sender):
    return api.post(url, data=body, content_type="application/json", **sender.auth)


def devlake(sender, route="deployments"):
    return f"/api/rest/plugins/webhook/{sender.connection.pk}/{route}"


def test_single_repo_sample_creates_a_failed_deployment(api, sender):
    response = post(api, devlake(sender), SINGLE_REPO, sender)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["commit_count"] == 1
    deployment = Deployment.objects.get(pk=body["id"])
    assert deployment.result == "FAILURE"
    assert deployment.environment == "PRODUCTION"
    assert deployment.repository.url == "https://github.com/apache/incubator-devlake"
    assert deployment.finished_at.isoformat() == "2020-01-02T13:00:00+00:00"
    assert deployment.ref_name == "optional-release-v0.17"


def test_multi_repo_sample_records_one_deployment_with_two_commits(api, sender):
    response = post(api, devlake(sender), MULTI_REPO, sender)

    assert response.status_code == 200, response.json()
    deployment = Deployment.objects.get(pk=response.json()["id"])
    commits = DeploymentCommit.objects.filter(deployment=deployment).select_related("repository")
    assert sorted((dc.commit.sha, dc.repository.url, dc.message) for dc in commits) == [
        ("c1", "repo-1", "optional-msg-1"),
        ("c2", "repo-2", "optional-msg-2"),
    ]


def test_minimal_sample_defaults_environment_result_and_name(api, sender):
    response = post(api, devlake(sender), MINIMAL, sender)

    assert response.status_code == 200, response.json()
    deployment = Deployment.objects.get(pk=response.json()["id"])
    assert (deployment.environment, deployment.result) == ("PRODUCTION", "SUCCESS")
    assert deployment.name == "deployment for the-sha-of-deployment-commit1"


def test_end_time_defaults_to_the_time_received(api, sender):
    body = '{"repo_url": "r", "commit_sha": "abc", "start_time": "2020-01-01T12:00:00Z"}'
    response = post(api, devlake(sender), body, sender)
    deployment = Deployment.objects.get(pk=response.json()["id"])
    delivery = Delivery.objects.get()
    assert abs((deployment.finished_at - delivery.received_at).total_seconds()) < 5


def test_camel_case_payload_is_accepted(api, sender):
    response = api.post(devlake(sender), data=CAMEL, format="json", **sender.auth)

    assert response.status_code == 200, response.json()
    deployment = Deployment.objects.get(external_id="deploy-42")
    assert deployment.environment == "STAGING"
    assert deployment.result == "SUCCESS"
    assert deployment.finished_at.isoformat() == "2024-03-01T09:05:00+00:00"
    assert deployment.repository.url == "https://github.com/acme/api"


def test_the_same_repository_posted_two_ways_is_one_row(api, sender):
    for i, url in enumerate(["https://GitHub.com/acme/api.git/", "git@github.com:acme/api.git"]):
        body = {
            "id": f"d{i}",
            "repo_url": url,
            "commit_sha": f"sha{i}",
            "start_time": "2024-01-01T00:00:00Z",
        }
        assert api.post(devlake(sender), data=body, format="json", **sender.auth).status_code == 200
    assert list(Repository.objects.values_list("url", flat=True)) == ["https://github.com/acme/api"]


def test_reposting_updates_and_replaces_the_commit_set(api, sender):
    first = dict(
        CAMEL,
        deploymentCommits=[
            {"repoUrl": "r", "commitSha": "keep"},
            {"repoUrl": "r", "commitSha": "stale"},
        ],
    )
    second = dict(CAMEL, deploymentCommits=[{"repoUrl": "r", "commitSha": "keep"}])

    created = api.post(devlake(sender), data=first, format="json", **sender.auth)
    updated = api.post(devlake(sender), data=second, format="json", **sender.auth)

    # DevLake answers 200 either way; DORA Hub's `status` tells the two apart.
    assert (created.status_code, updated.status_code) == (200, 200)
    assert created.json()["status"] == "created"
    assert updated.json() == created.json() | {"status": "updated", "commit_count": 1}
    assert Deployment.objects.count() == 1
    shas = DeploymentCommit.objects.values_list("commit__sha", flat=True)
    assert list(shas) == ["keep"]


def test_an_identical_repost_is_a_duplicate_and_changes_nothing(api, sender):
    post(api, devlake(sender), SINGLE_REPO, sender)
    again = post(api, devlake(sender), SINGLE_REPO, sender)

    assert again.status_code == 200
    assert again.json()["status"] == "unchanged"
    assert Deployment.objects.count() == 1
    assert list(Delivery.objects.order_by("id").values_list("status", flat=True)) == [
        "accepted",
        "duplicate",
    ]


def test_deployments_without_ids_are_identified_by_commits_start_and_environment(api, sender):
    body = {
        "repo_url": "r",
        "commit_sha": "abc",
        "start_time": "2024-01-01T00:00:00Z",
        "end_time": "2024-01-01T00:10:00Z",
    }
    api.post(devlake(sender), data=body, format="json", **sender.auth)
    api.post(devlake(sender), data=body | {"result": "FAILURE"}, format="json", **sender.auth)
    api.post(
        devlake(sender),
        data=body | {"start_time": "2024-01-02T00:00:00Z", "end_time": "2024-01-02T00:10:00Z"},
        format="json",
        **sender.auth,
    )
    assert Deployment.objects.count() == 2
    assert Deployment.objects.get(started_at__day=1).result == "FAILURE"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/connections/{id}/deployments",
        "/api/rest/plugins/webhook/{id}/deployments",
        "/api/rest/plugins/webhook/connections/{id}/deployments",
        "/api/rest/plugins/webhook/connections/by-name/{name}/deployments",
    ],
)
def test_every_route_alias_accepts_deployments(api, sender, url):
    url = url.format(id=sender.connection.pk, name=sender.connection.name)
    # DORA Hub's native route answers 201 for a new deployment; DevLake's routes answer 200.
    expected = 201 if url.startswith("/api/v1/") else 200
    assert post(api, url, SINGLE_REPO, sender).status_code == expected


def test_incident_sample_creates_an_incident_and_close_stamps_resolution(api, sender):
    created = post(api, devlake(sender, "issues"), INCIDENT, sender)
    assert created.status_code == 200, created.json()
    issue = Issue.objects.get(issue_key="DLK-1234")
    assert issue.is_incident
    assert issue.status == "TODO"
    assert issue.resolved_at is None
    assert issue.original_status == "TODO"  # missing from DevLake's own sample: defaulted

    closed = api.post(devlake(sender, "issue/DLK-1234/close"), **sender.auth)
    assert closed.status_code == 200
    issue.refresh_from_db()
    assert issue.status == "DONE"
    first_resolution = issue.resolved_at
    assert first_resolution is not None

    api.post(devlake(sender, "issue/DLK-1234/close"), **sender.auth)
    issue.refresh_from_db()
    assert issue.resolved_at == first_resolution


def test_closing_an_unknown_issue_is_404(api, sender):
    response = api.post(devlake(sender, "issue/NOPE-1/close"), **sender.auth)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_done_status_uses_the_resolution_date_when_given(api, sender):
    body = INCIDENT.replace('"TODO"', '"DONE"').replace(
        '"priority":""', '"priority":"", "resolution_date":"2020-01-01T15:30:00+00:00"'
    )
    post(api, devlake(sender, "issues"), body, sender)
    issue = Issue.objects.get()
    assert issue.resolved_at.isoformat() == "2020-01-01T15:30:00+00:00"


def test_reposting_an_issue_updates_it(api, sender):
    post(api, devlake(sender, "issues"), INCIDENT, sender)
    response = post(
        api, devlake(sender, "issues"), INCIDENT.replace("a feature", "b feature"), sender
    )
    assert response.status_code == 200
    assert Issue.objects.get().title == "b feature from DLK"


def test_non_incident_types_are_issues_unless_the_connection_lists_them(api, sender):
    bug = INCIDENT.replace('"INCIDENT"', '"Outage"')
    post(api, devlake(sender, "issues"), bug, sender)
    assert Issue.objects.get().is_incident is False

    sender.connection.settings = {"incident_types": ["outage"]}
    sender.connection.save()
    post(api, devlake(sender, "issues"), bug.replace("DLK-1234", "DLK-2"), sender)
    assert Issue.objects.get(issue_key="DLK-2").is_incident is True


def test_camel_case_issue_is_accepted(api, sender):
    body = {
        "issueKey": "INC-9",
        "title": "down",
        "status": "in_progress",
        "type": "incident",
        "createdDate": "2024-01-01T00:00:00Z",
        "originalStatus": "open",
    }
    response = api.post(devlake(sender, "issues"), data=body, format="json", **sender.auth)
    assert response.status_code == 200, response.json()
    issue = Issue.objects.get(issue_key="INC-9")
    assert (issue.status, issue.original_status, issue.is_incident) == ("IN_PROGRESS", "open", True)


def test_a_token_writes_only_to_its_own_connection(api, sender, other_sender):
    response = post(api, devlake(other_sender), SINGLE_REPO, sender)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_connection"
    assert not Deployment.objects.exists()
    delivery = Delivery.objects.get()
    assert delivery.status == "rejected"
    assert delivery.response_status == 403


def test_commits_are_shared_by_sha_within_a_project(api, sender):
    post(api, devlake(sender), SINGLE_REPO, sender)
    post(api, devlake(sender), SINGLE_REPO.replace("optional-pipeline-id", "other"), sender)
    assert Commit.objects.count() == 1
    assert Deployment.objects.count() == 2
