"""GitHub webhooks received directly: each event GitHub sends, mapped to DORA Hub's records
and lifecycle events."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from apps.ci.models import Job, Pipeline
from apps.deployments.models import Commit, Deployment
from apps.events.models import LifecycleEvent
from apps.ingest.models import Delivery
from apps.integrations.github.receivers import environment_for, signature_matches
from apps.issues.models import Issue
from tests.factories import ConnectionFactory
from tests.integrations import github_payloads as gh
from tests.integrations.github_payloads import changed, deliver

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def github():
    return ConnectionFactory(kind="github", secret=gh.SECRET)


def events() -> list[str]:
    return list(LifecycleEvent.objects.order_by("id").values_list("name", flat=True))


# --- signatures ------------------------------------------------------------------------


def test_githubs_documented_signature_vector_is_accepted():
    assert signature_matches(
        secret="It's a Secret to Everybody",
        body=b"Hello, World!",
        header="sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    )
    assert not signature_matches(
        secret="It's a Secret to Everybody",
        body=b"Hello, World?",
        header="sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    )


def test_the_documented_vector_passes_authentication_over_http(api):
    connection = ConnectionFactory(kind="github", secret="It's a Secret to Everybody")
    headers = {
        "HTTP_X_GITHUB_EVENT": "ping",
        "HTTP_X_GITHUB_DELIVERY": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
    url = f"/api/v1/connections/{connection.pk}/github"
    good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

    signed = api.post(
        url,
        data=b"Hello, World!",
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=good,
        **headers,
    )
    tampered = api.post(
        url,
        data=b"Hello, World!",
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=good[:-1] + "f",
        **headers,
    )

    # Past the signature check, "Hello, World!" is simply not JSON.
    assert signed.status_code == 400
    assert signed.json()["error"]["code"] == "malformed_json"
    assert tampered.status_code == 401
    assert tampered.json()["error"]["code"] == "signature_invalid"


def test_a_delivery_signed_with_another_secret_is_refused_and_stores_nothing(api, github):
    response = deliver(api, github, "push", gh.PUSH, secret="not the secret")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"
    assert not Commit.objects.exists()
    assert Delivery.objects.get().status == "rejected"


def test_an_unsigned_delivery_is_refused(api, github):
    response = api.post(
        f"/api/v1/connections/{github.pk}/github",
        data=gh.PUSH,
        format="json",
        HTTP_X_GITHUB_EVENT="push",
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_missing"


def test_a_connection_without_a_secret_asks_for_one(api):
    connection = ConnectionFactory(kind="github")

    response = deliver(api, connection, "ping", gh.PING)

    assert response.status_code == 401
    assert "no signing secret" in response.json()["error"]["message"]


def test_a_disabled_connection_refuses_deliveries(api, github):
    github.is_active = False
    github.save()

    assert deliver(api, github, "ping", gh.PING).status_code == 401


# --- events ----------------------------------------------------------------------------


def test_ping_is_answered(api, github):
    response = deliver(api, github, "ping", gh.PING)

    assert response.status_code == 200
    assert response.json() == {"event": "ping", "status": "pong", "hook_id": int(gh.HOOK_ID)}


def test_a_push_records_its_commits_as_changes_with_their_commit_times(api, github):
    before = timezone.now()
    response = deliver(api, github, "push", gh.PUSH)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "event": "push",
        "status": "accepted",
        "lifecycle_event": "github:acme/api:push",
        "changes": 2,
        "new_changes": 2,
    }
    first = Commit.objects.get(sha="a8ab1b0e0e8ff0e6e3e5f2b1d6ae2c0a2cb4a3f1")
    assert first.authored_at == at("2024-01-01T14:30:00+00:00")
    assert first.start_at == first.authored_at  # earlier than the push that reported it
    assert first.reported_at >= before
    assert first.repository.url == "https://github.com/acme/api"
    assert first.message == "Add retry to payment client"
    assert Commit.objects.get(sha=gh.PUSH["after"]).authored_at == at("2024-01-01T15:45:00Z")
    assert events() == ["github:acme/api:push"]
    assert LifecycleEvent.objects.get().data["commits"] == [c["id"] for c in gh.PUSH["commits"]]


def test_a_commit_pushed_again_keeps_its_earliest_start(api, github):
    deliver(api, github, "push", gh.PUSH)
    first_start = Commit.objects.get(sha=gh.PUSH["after"]).start_at

    again = deliver(api, github, "push", changed(gh.PUSH, ref="refs/heads/release"))

    assert again.json()["new_changes"] == 0
    assert Commit.objects.get(sha=gh.PUSH["after"]).start_at == first_start


def test_a_merged_pull_request_records_the_merge_commit_for_the_lead_time_breakdown(api, github):
    response = deliver(api, github, "pull_request", gh.PULL_REQUEST_MERGED)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "event": "pull_request",
        "status": "accepted",
        "action": "closed",
        "lifecycle_event": "github:acme/api:pull_request.merged",
    }
    commit = Commit.objects.get(sha="9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c")
    assert commit.merged_at == at("2024-01-03T10:15:00Z")
    # Its change started no later than the pull request was opened.
    assert commit.start_at == at("2024-01-02T08:00:00Z")
    assert commit.message == "Retry payment calls"
    event = LifecycleEvent.objects.get()
    assert event.name == "github:acme/api:pull_request.merged"
    assert event.is_insight
    assert event.occurred_at == at("2024-01-03T10:15:00Z")
    assert event.data["merge_commit_sha"] == commit.sha
    assert event.data["number"] == 42


def test_opened_and_unmerged_pull_requests_are_events_without_changes(api, github):
    opened = changed(
        gh.PULL_REQUEST_MERGED,
        action="opened",
        **{
            "pull_request.state": "open",
            "pull_request.merged": False,
            "pull_request.merged_at": None,
            "pull_request.closed_at": None,
            "pull_request.merge_commit_sha": None,
        },
    )
    closed = changed(
        gh.PULL_REQUEST_MERGED,
        **{
            "pull_request.merged": False,
            "pull_request.merged_at": None,
        },
    )

    assert deliver(api, github, "pull_request", opened).status_code == 200
    assert deliver(api, github, "pull_request", closed).status_code == 200

    assert events() == [
        "github:acme/api:pull_request.opened",
        "github:acme/api:pull_request.closed",
    ]
    assert not Commit.objects.exists()


def test_other_pull_request_actions_are_accepted_and_ignored(api, github):
    response = deliver(
        api, github, "pull_request", changed(gh.PULL_REQUEST_MERGED, action="labeled")
    )

    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert not Commit.objects.exists()
    assert not LifecycleEvent.objects.exists()


def test_a_successful_deployment_status_is_a_deployment_to_its_environment(api, github):
    response = deliver(api, github, "deployment_status", gh.DEPLOYMENT_STATUS)

    assert response.status_code == 200, response.json()
    deployment = Deployment.objects.get()
    assert response.json() == {
        "event": "deployment_status",
        "status": "accepted",
        "deployment_id": deployment.pk,
        "environment": "PRODUCTION",
        "result": "SUCCESS",
    }
    assert deployment.external_id == "gh-deployment:1219457"
    assert deployment.started_at == at("2024-01-03T10:55:00Z")
    assert deployment.finished_at == at("2024-01-03T11:02:00Z")
    assert deployment.commit_sha == "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c"
    assert list(deployment.commits.values_list("sha", flat=True)) == [deployment.commit_sha]
    assert deployment.repository.name == "acme/api"
    assert events() == ["github:acme/api:deployment.succeeded"]


def test_deployment_statuses_move_one_deployment_from_in_progress_to_its_result(api, github):
    in_progress = changed(
        gh.DEPLOYMENT_STATUS,
        **{
            "deployment_status.state": "in_progress",
            "deployment_status.created_at": "2024-01-03T10:56:00Z",
        },
    )
    failed = changed(gh.DEPLOYMENT_STATUS, **{"deployment_status.state": "error"})

    deliver(api, github, "deployment_status", in_progress)
    started = Deployment.objects.get()
    assert (started.result, started.finished_at) == ("IN_PROGRESS", None)

    deliver(api, github, "deployment_status", failed)
    finished = Deployment.objects.get()
    assert (finished.pk, finished.result) == (started.pk, "FAILURE")
    assert finished.finished_at == at("2024-01-03T11:02:00Z")
    assert events() == [
        "github:acme/api:deployment.started",
        "github:acme/api:deployment.failed",
    ]


def test_a_late_in_progress_status_does_not_undo_a_finished_deployment(api, github):
    late = changed(
        gh.DEPLOYMENT_STATUS,
        **{
            "deployment_status.state": "queued",
            "deployment_status.created_at": "2024-01-03T10:55:30Z",
        },
    )
    deliver(api, github, "deployment_status", gh.DEPLOYMENT_STATUS)

    response = deliver(api, github, "deployment_status", late)

    assert response.status_code == 202
    assert Deployment.objects.get().result == "SUCCESS"


def test_an_inactive_status_leaves_the_deployment_as_it_was(api, github):
    deliver(api, github, "deployment_status", gh.DEPLOYMENT_STATUS)
    inactive = changed(
        gh.DEPLOYMENT_STATUS,
        **{
            "deployment_status.state": "inactive",
            "deployment_status.created_at": "2024-01-04T09:00:00Z",
        },
    )

    assert deliver(api, github, "deployment_status", inactive).status_code == 202
    assert Deployment.objects.get().result == "SUCCESS"


@pytest.mark.parametrize(
    ("name", "production_flag", "environment"),
    [
        ("production", False, "PRODUCTION"),
        ("prod", False, "PRODUCTION"),
        ("Production – shop-web", False, "PRODUCTION"),  # Vercel's naming
        ("eu-prod-1", False, "PRODUCTION"),
        ("staging", False, "STAGING"),
        ("test", False, "TESTING"),
        ("testing", False, "TESTING"),
        ("preview", False, "DEVELOPMENT"),
        ("Preview – shop-web", False, "DEVELOPMENT"),
        ("github-pages", True, "PRODUCTION"),  # GitHub says production_environment
    ],
)
def test_github_environment_names_map_to_dora_environments(name, production_flag, environment):
    assert environment_for(name, production=production_flag) == environment


def test_a_deployment_status_to_staging_lands_in_staging(api, github):
    staging = changed(
        gh.DEPLOYMENT_STATUS,
        **{
            "deployment_status.environment": "staging",
            "deployment.environment": "staging",
            "deployment.production_environment": False,
        },
    )
    deliver(api, github, "deployment_status", staging)
    assert Deployment.objects.get().environment == "STAGING"


def test_a_completed_deploy_workflow_run_is_a_ci_job_and_a_deployment(api, github):
    response = deliver(api, github, "workflow_run", gh.WORKFLOW_RUN)

    assert response.status_code == 200, response.json()
    build = Pipeline.objects.get()
    job = Job.objects.get()
    assert (build.status, build.name, build.branch) == ("SUCCESS", "Deploy to production", "main")
    assert job.pipeline == build
    deployment = Deployment.objects.get()
    assert job.deployment == deployment
    assert (deployment.environment, deployment.result) == ("PRODUCTION", "SUCCESS")
    assert deployment.finished_at == at("2024-01-03T10:31:00Z")
    assert deployment.commit_sha == "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c"
    assert response.json()["deployment_id"] == deployment.pk
    assert "github:acme/api:build.succeeded" in events()
    assert "github:acme/api:deployment.succeeded" in events()


def test_a_workflow_run_not_matching_the_deployment_pattern_is_only_a_ci_job(api, github):
    tests_run = changed(gh.WORKFLOW_RUN, **{"workflow_run.name": "Tests"})

    response = deliver(api, github, "workflow_run", tests_run)

    assert response.status_code == 200
    assert Pipeline.objects.get().name == "Tests"
    assert not Deployment.objects.exists()
    assert "deployment_id" not in response.json()


def test_the_connections_deployment_pattern_decides_which_runs_deploy(api):
    connection = ConnectionFactory(
        kind="github", secret=gh.SECRET, settings={"deployment_pattern": "^Ship"}
    )
    deliver(api, connection, "workflow_run", gh.WORKFLOW_RUN)  # "Deploy to production"
    ship = changed(gh.WORKFLOW_RUN, **{"workflow_run.name": "Ship it", "workflow_run.id": 9})
    deliver(api, connection, "workflow_run", ship)

    assert list(Deployment.objects.values_list("name", flat=True)) == ["Ship it"]


def test_a_failed_deploy_run_is_a_failed_deploy_attempt_and_a_failed_build(api, github):
    failed = changed(gh.WORKFLOW_RUN, **{"workflow_run.conclusion": "failure"})

    deliver(api, github, "workflow_run", failed)

    assert Deployment.objects.get().result == "FAILURE"
    assert "github:acme/api:build.failed" in events()


def test_a_run_waiting_for_approval_is_a_build_needing_approval(api, github):
    waiting = changed(gh.WORKFLOW_RUN, **{"workflow_run.conclusion": "action_required"})

    deliver(api, github, "workflow_run", waiting)

    assert "github:acme/api:build.needs_approval" in events()
    assert not Deployment.objects.exists()


def test_a_workflow_run_that_has_not_completed_is_ignored(api, github):
    requested = changed(
        gh.WORKFLOW_RUN,
        action="requested",
        **{"workflow_run.status": "queued", "workflow_run.conclusion": None},
    )
    assert deliver(api, github, "workflow_run", requested).status_code == 202
    assert not Pipeline.objects.exists()


def test_a_published_release_is_a_production_deployment_when_the_connection_says_so(api):
    connection = ConnectionFactory(
        kind="github", secret=gh.SECRET, settings={"releases_are_deployments": True}
    )

    response = deliver(api, connection, "release", gh.RELEASE_PUBLISHED)

    assert response.status_code == 200, response.json()
    deployment = Deployment.objects.get()
    assert deployment.external_id == "gh-release:137540361"
    assert (deployment.environment, deployment.result) == ("PRODUCTION", "SUCCESS")
    assert deployment.finished_at == at("2024-01-03T12:00:00Z")
    assert deployment.ref_name == "v2.4.0"
    assert deployment.commit_sha == "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c"
    assert events() == [
        "github:acme/api:release.published",
        "github:acme/api:deployment.succeeded",
    ]


def test_a_published_release_is_only_an_event_by_default(api, github):
    response = deliver(api, github, "release", gh.RELEASE_PUBLISHED)

    assert response.status_code == 200
    assert not Deployment.objects.exists()
    assert events() == ["github:acme/api:release.published"]


def test_a_prerelease_is_never_a_production_deployment(api):
    connection = ConnectionFactory(
        kind="github", secret=gh.SECRET, settings={"releases_are_deployments": True}
    )
    deliver(
        api, connection, "release", changed(gh.RELEASE_PUBLISHED, **{"release.prerelease": True})
    )
    assert not Deployment.objects.exists()


def test_an_issue_labelled_incident_opens_and_closing_it_resolves_an_incident(api, github):
    opened = deliver(api, github, "issues", gh.ISSUE_OPENED)

    assert opened.status_code == 200, opened.json()
    incident = Issue.objects.get()
    assert incident.issue_key == "acme/api#57"
    assert incident.is_incident
    assert incident.created_at == at("2024-01-03T12:30:00Z")
    assert incident.resolved_at is None

    closed = changed(
        gh.ISSUE_OPENED,
        action="closed",
        **{
            "issue.state": "closed",
            "issue.closed_at": "2024-01-03T13:10:00Z",
            "issue.updated_at": "2024-01-03T13:10:00Z",
        },
    )
    assert deliver(api, github, "issues", closed).status_code == 200

    incident.refresh_from_db()
    assert incident.status == "DONE"
    assert incident.resolved_at == at("2024-01-03T13:10:00Z")
    assert events() == ["github:acme/api:incident.opened", "github:acme/api:incident.resolved"]


def test_an_issue_without_the_incident_label_is_ignored(api, github):
    bug = changed(
        gh.ISSUE_OPENED,
        action="opened",
        **{
            "issue.labels": [{"id": 1, "name": "bug"}],
            "label": None,
        },
    )

    response = deliver(api, github, "issues", bug)

    assert response.status_code == 202
    assert not Issue.objects.exists()


def test_the_incident_label_is_a_connection_setting(api):
    connection = ConnectionFactory(
        kind="github", secret=gh.SECRET, settings={"incident_label": "sev1"}
    )
    outage = changed(gh.ISSUE_OPENED, **{"issue.labels": [{"id": 2, "name": "SEV1"}]})

    deliver(api, connection, "issues", outage)

    assert Issue.objects.get().is_incident


def test_removing_the_incident_label_stops_the_issue_counting(api, github):
    deliver(api, github, "issues", gh.ISSUE_OPENED)
    unlabeled = changed(gh.ISSUE_OPENED, action="unlabeled", **{"issue.labels": []})

    assert deliver(api, github, "issues", unlabeled).status_code == 200
    assert not Issue.objects.get().is_incident


def test_creating_a_tag_is_a_create_tag_event(api, github):
    response = deliver(api, github, "create", gh.CREATE_TAG)

    assert response.status_code == 200
    event = LifecycleEvent.objects.get()
    assert event.name == "github:acme/api:create.tag"
    assert event.data == {"tag": "v2.4.0", "default_branch": "main"}
    assert not event.is_insight


def test_creating_a_branch_is_ignored(api, github):
    branch = changed(gh.CREATE_TAG, ref="feature/x", ref_type="branch")
    assert deliver(api, github, "create", branch).status_code == 202
    assert not LifecycleEvent.objects.exists()


@pytest.mark.parametrize("event", ["star", "watch", "check_suite", "member", "fork"])
def test_an_event_dora_hub_does_not_use_is_accepted_recorded_and_ignored(api, github, event):
    response = deliver(api, github, event, gh.STAR)

    assert response.status_code == 202
    assert response.json() == {
        "event": event,
        "status": "ignored",
        "reason": "DORA Hub does not use this event.",
    }
    delivery = Delivery.objects.get()
    assert (delivery.route, delivery.status) == ("github", "accepted")
    assert not LifecycleEvent.objects.exists()


# --- duplicates --------------------------------------------------------------------------


def test_a_redelivered_delivery_is_answered_again_without_recording_twice(api, github):
    first = deliver(api, github, "push", gh.PUSH, delivery="f1d2d2f9-2c31-11ee-9b5d-0242ac120002")
    again = deliver(api, github, "push", gh.PUSH, delivery="f1d2d2f9-2c31-11ee-9b5d-0242ac120002")

    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert LifecycleEvent.objects.count() == 1
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["accepted", "duplicate"]


def test_the_same_delivery_id_from_another_webhook_is_not_a_duplicate(api, github):
    guid = "f1d2d2f9-2c31-11ee-9b5d-0242ac120002"
    deliver(api, github, "push", gh.PUSH, delivery=guid, hook_id="1")
    deliver(api, github, "push", gh.PUSH, delivery=guid, hook_id="2")

    assert LifecycleEvent.objects.count() == 2


# --- other content types and routes --------------------------------------------------------


def test_a_form_encoded_delivery_is_read_from_its_payload_field(api, github):
    import json
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(gh.CREATE_TAG)}).encode()

    response = deliver(
        api, github, "create", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200, response.json()
    assert events() == ["github:acme/api:create.tag"]


def test_the_pulse_ingestion_url_reaches_the_same_receiver(api, github):
    from tests.factories import token_for

    url = f"/v1/ingestion/github?api_key={token_for(github)}"

    response = deliver(api, github, "create", gh.CREATE_TAG, url=url)

    assert response.status_code == 200, response.json()
    assert events() == ["github:acme/api:create.tag"]


def test_a_stored_delivery_can_be_reprocessed_from_the_inbox(api, github):
    from apps.ingest.pipeline import replay

    deliver(api, github, "create", gh.CREATE_TAG)
    LifecycleEvent.objects.all().delete()  # as if the write had been lost

    response = replay(delivery=Delivery.objects.get())

    assert response.status_code == 200
    assert events() == ["github:acme/api:create.tag"]


def test_a_push_that_dates_an_already_deployed_commit_marks_that_deployment_day_for_recompute(
    api, github
):
    from apps.deployments.changes import CommitRef
    from apps.deployments.services import DeploymentData, upsert_deployment
    from apps.marks.models import DirtyDay

    sha = gh.PUSH["commits"][0]["id"]
    upsert_deployment(
        connection=github,
        data=DeploymentData(
            external_id="d-1",
            finished_at=at("2024-01-05T10:00:00Z"),
            commits=[CommitRef(sha=sha, repo_url="https://github.com/acme/api")],
        ),
    )
    DirtyDay.objects.all().delete()

    deliver(api, github, "push", gh.PUSH)

    assert Commit.objects.get(sha=sha).start_at == at("2024-01-01T14:30:00Z")
    assert list(DirtyDay.objects.values_list("environment", "day")) == [
        ("PRODUCTION", at("2024-01-05T10:00:00Z").date())
    ]
