"""GitLab webhooks: GitLab's documented example deliveries (webhook events page), sent with
the X-Gitlab-Token secret as GitLab sends them."""

import uuid
from datetime import UTC, datetime

import pytest

from apps.ci.models import Job
from apps.deployments.models import Commit, Deployment
from apps.events.models import LifecycleEvent
from apps.ingest.models import Delivery, DeliveryStatus
from apps.issues.models import Issue
from tests.factories import ConnectionFactory
from tests.integrations import sources as src

pytestmark = pytest.mark.django_db
ROUTE = "gitlab"
HOOKS = {
    "push_hook": "Push Hook",
    "tag_push_hook": "Tag Push Hook",
    "merge_request_hook": "Merge Request Hook",
    "deployment_hook": "Deployment Hook",
    "pipeline_hook": "Pipeline Hook",
    "release_hook": "Release Hook",
    "issue_hook": "Issue Hook",
}


@pytest.fixture
def gitlab():
    return ConnectionFactory(kind="gitlab", secret=src.SECRET)


def deliver(api, connection, hook, payload, token=src.SECRET, event_uuid=None):
    headers = {
        "HTTP_X_GITLAB_EVENT": hook,
        "HTTP_X_GITLAB_EVENT_UUID": event_uuid or str(uuid.uuid4()),
        "HTTP_X_GITLAB_WEBHOOK_UUID": "0ce6f1c8-0d4b-4a1e-a2d0-4b1ab1b0d0a1",
        "HTTP_X_GITLAB_TOKEN": token,
    }
    return src.post(api, connection, ROUTE, src.encoded(payload), headers)


def incident(action="open", state="opened", **attributes):
    """The documented Issue Hook as a work item of type Incident."""
    payload = src.load("gitlab", "issue_hook")
    payload["object_kind"] = "work_item"
    payload["object_attributes"] |= {"type": "Incident", "action": action, "state": state}
    payload["object_attributes"] |= attributes
    return payload


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_documented_delivery_is_answered_2xx(api, gitlab, name):
    response = deliver(api, gitlab, HOOKS[name], src.raw("gitlab", name))

    assert response.status_code in (200, 202), response.json()


def test_a_push_records_its_commits_as_changes_with_their_times(api, gitlab):
    deliver(api, gitlab, "Push Hook", src.load("gitlab", "push_hook"))

    commit = Commit.objects.get(sha="b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327")
    assert commit.start_at == datetime(2011, 12, 12, 12, 27, 31, tzinfo=UTC)
    assert Commit.objects.count() == 2
    assert LifecycleEvent.objects.get().event == "push"


def test_a_squash_merge_starts_its_squash_commit_at_the_merge_request(api, gitlab):
    merged = src.load("gitlab", "merge_request_hook")
    merged["object_attributes"] |= {
        "action": "merge",
        "state": "merged",
        "updated_at": "2013-12-04T09:00:00Z",
        "merge_commit_sha": None,
        "squash_commit_sha": "1" * 40,
    }

    response = deliver(api, gitlab, "Merge Request Hook", merged)

    assert response.status_code == 200
    commit = Commit.objects.get(sha="1" * 40)
    assert commit.start_at == datetime(2013, 12, 3, 17, 23, 34, tzinfo=UTC)
    assert LifecycleEvent.objects.get().event == "pull_request.merged"


def test_a_deployment_hook_is_a_deployment_of_its_tier(api, gitlab):
    deliver(api, gitlab, "Deployment Hook", src.load("gitlab", "deployment_hook"))

    deployment = Deployment.objects.get()
    assert (deployment.environment, deployment.result) == ("STAGING", "SUCCESS")
    assert deployment.finished_at == datetime(2021, 4, 28, 19, 50, tzinfo=UTC)
    assert deployment.commit_sha == "279484c09fbe69ededfced8c1bb6e6d24616b468"


def test_a_late_running_status_never_moves_a_finished_deployment_back(api, gitlab):
    finished = src.load("gitlab", "deployment_hook")
    running = src.changed(finished, status="running", status_changed_at="2021-04-28 21:45:00 +0200")
    deliver(api, gitlab, "Deployment Hook", finished)

    response = deliver(api, gitlab, "Deployment Hook", running)

    assert response.status_code == 202
    assert Deployment.objects.get().result == "SUCCESS"


def test_pipeline_jobs_without_an_environment_follow_the_deployment_rule(api):
    connection = ConnectionFactory(
        kind="gitlab", secret=src.SECRET, settings={"deployment_pattern": "^build-image$"}
    )

    deliver(api, connection, "Pipeline Hook", src.load("gitlab", "pipeline_hook"))

    # Jobs 379 and 380 have a GitLab environment: their Deployment Hooks report them.
    assert sorted(Job.objects.values_list("external_id", flat=True)) == ["376", "377", "378"]
    assert Deployment.objects.get().name == "build-image"


def test_a_release_is_a_mark(api, gitlab):
    deliver(api, gitlab, "Release Hook", src.load("gitlab", "release_hook"))

    assert LifecycleEvent.objects.get().event == "release.published"
    assert not Deployment.objects.exists()


def test_an_incident_work_item_is_an_incident_resolved_when_closed(api, staff_client, gitlab):
    deliver(api, gitlab, "Issue Hook", incident())
    listed = staff_client.get("/api/v1/issues").json()["results"]
    assert [(row["external_id"], row["is_incident"], row["status"]) for row in listed] == [
        ("gitlabhq/gitlab-test#23", True, "TODO")
    ]

    deliver(
        api,
        gitlab,
        "Issue Hook",
        incident(
            "close", "closed", updated_at="2013-12-03T19:15:43Z", closed_at="2013-12-03T19:15:43Z"
        ),
    )

    closed = Issue.objects.get()
    assert (closed.status, closed.resolved_at) == (
        "DONE",
        datetime(2013, 12, 3, 19, 15, 43, tzinfo=UTC),
    )


def test_an_ordinary_issue_is_not_an_incident_unless_labelled(api):
    labelled = ConnectionFactory(
        kind="gitlab", secret=src.SECRET, settings={"incident_label": "api"}
    )

    deliver(api, labelled, "Issue Hook", src.load("gitlab", "issue_hook"))

    assert Issue.objects.get().is_incident


def test_a_close_that_arrives_before_the_open_keeps_it_closed(api, gitlab):
    closed = incident(
        "close", "closed", updated_at="2013-12-03T19:15:43Z", closed_at="2013-12-03T19:15:43Z"
    )
    deliver(api, gitlab, "Issue Hook", closed)

    deliver(api, gitlab, "Issue Hook", incident())

    assert Issue.objects.get().status == "DONE"


@pytest.mark.parametrize("token", ["", "wrong-secret"])
def test_a_missing_or_wrong_token_is_401(api, gitlab, token):
    response = deliver(api, gitlab, "Push Hook", src.load("gitlab", "push_hook"), token=token)

    assert response.status_code == 401
    assert not Commit.objects.exists()


def test_a_redelivery_with_the_same_event_uuid_is_a_duplicate(api, gitlab):
    payload = src.load("gitlab", "push_hook")
    first = deliver(
        api, gitlab, "Push Hook", payload, event_uuid="e3b0c442-98fc-1c14-9afb-f4c8996fb924"
    )
    again = deliver(
        api, gitlab, "Push Hook", payload, event_uuid="e3b0c442-98fc-1c14-9afb-f4c8996fb924"
    )

    assert again.json() == first.json()
    assert Delivery.objects.order_by("id").last().status == DeliveryStatus.DUPLICATE
    assert LifecycleEvent.objects.count() == 1


def test_gitlabs_spaced_times_without_an_offset_are_a_400(api, gitlab):
    payload = src.changed(
        src.load("gitlab", "deployment_hook"), status_changed_at="2021-04-28 21:50:00"
    )

    response = deliver(api, gitlab, "Deployment Hook", payload)

    assert response.status_code == 400
    assert "status_changed_at" in response.json()["error"]["fields"]
