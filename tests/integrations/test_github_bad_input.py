"""Malformed GitHub deliveries: a 400 naming the field, and nothing half-stored."""

import pytest

from apps.deployments.models import Commit, Deployment
from apps.events.models import LifecycleEvent
from tests.factories import ConnectionFactory
from tests.integrations import github_payloads as gh
from tests.integrations.github_payloads import changed, deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def github():
    return ConnectionFactory(kind="github", secret=gh.SECRET)


def fields(response):
    assert response.status_code == 400, response.json()
    return response.json()["error"]["fields"]


def test_a_naive_commit_timestamp_names_the_commit_and_stores_no_commit(api, github):
    push = changed(gh.PUSH, **{"commits.1.timestamp": "2024-01-01T15:45:00"})

    problems = fields(deliver(api, github, "push", push))

    assert list(problems) == ["commits[1].timestamp"]
    assert "no UTC offset" in problems["commits[1].timestamp"][0]
    assert not Commit.objects.exists()
    assert not LifecycleEvent.objects.exists()


def test_a_merged_pull_request_without_its_merge_commit_names_it(api, github):
    merged = changed(gh.PULL_REQUEST_MERGED, **{"pull_request.merge_commit_sha": None})

    assert list(fields(deliver(api, github, "pull_request", merged))) == [
        "pull_request.merge_commit_sha"
    ]
    assert not Commit.objects.exists()


def test_a_deployment_status_without_a_deployment_names_it(api, github):
    broken = {k: v for k, v in gh.DEPLOYMENT_STATUS.items() if k != "deployment"}

    assert "deployment" in fields(deliver(api, github, "deployment_status", broken))
    assert not Deployment.objects.exists()


def test_an_issue_closed_before_it_was_opened_is_refused(api, github):
    broken = changed(
        gh.ISSUE_OPENED,
        **{"issue.state": "closed", "issue.closed_at": "2024-01-01T00:00:00Z"},
    )
    assert list(fields(deliver(api, github, "issues", broken))) == ["issue.closed_at"]


def test_a_missing_event_header_is_named(api, github):
    response = deliver(api, github, "", gh.PUSH)

    assert fields(response) == {"X-GitHub-Event": ["This header is required."]}


def test_a_body_that_is_not_a_json_object_is_refused(api, github):
    response = deliver(api, github, "push", b"[1, 2]")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("body", [b"other=1", b"payload=%5B1%5D", b"payload=%7B"])
def test_a_form_encoded_delivery_without_a_json_object_payload_is_refused(api, github, body):
    response = deliver(api, github, "ping", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_an_unknown_event_with_any_body_is_never_a_client_error(api, github):
    assert deliver(api, github, "sponsorship", {"action": "created"}).status_code == 202


# Budget: inbox insert and answer, connection lookup, repository and commit upserts, the
# reported-time update, the start comparison, the lanes of the pushed repositories (what
# head-only deployments contain), and the lifecycle event. SQLite splits the commit insert
# into batches of about 90 rows; PostgreSQL sends one, and the applier's claim takes its
# advisory lock (two statements). The inline road: the request path alone is
# tests/ingest/test_receipt_road.py's.
PUSH_QUERY_BUDGET = 22


@pytest.mark.parametrize("commit_count", [2, 200])
def test_a_push_uses_a_bounded_number_of_queries_however_many_commits(
    api, github, django_assert_max_num_queries, commit_count
):
    template = gh.PUSH["commits"][0]
    commits = [dict(template, id=f"{n:040x}") for n in range(commit_count)]
    push = changed(gh.PUSH, commits=commits)

    with django_assert_max_num_queries(PUSH_QUERY_BUDGET):
        response = deliver(api, github, "push", push)

    assert response.status_code == 200
    assert Commit.objects.count() == commit_count


def test_a_deployment_status_uses_a_bounded_number_of_queries(
    api, github, django_assert_max_num_queries
):
    # The inline road (`make run`): stored, then applied in the request, resolved keys included.
    with django_assert_max_num_queries(28):
        response = deliver(api, github, "deployment_status", gh.DEPLOYMENT_STATUS)
    assert response.status_code == 200
