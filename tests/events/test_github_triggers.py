"""GitHub deliveries become lifecycle events that fire triggers, end to end over HTTP."""

import pytest

from apps.events.models import TriggerDelivery
from tests.events.conftest import make_trigger
from tests.factories import ConnectionFactory
from tests.integrations import github_payloads as gh

pytestmark = pytest.mark.django_db


def test_a_merged_pull_request_fires_the_repository_trigger(
    api, hook_server, django_capture_on_commit_callbacks
):
    github = ConnectionFactory(kind="github", secret=gh.SECRET)
    make_trigger(hook_server.url, "github:acme/*:pull_request.merged", name="release-bot")
    make_trigger(hook_server.url, "github:other/*:pull_request.merged", name="other-team")

    with django_capture_on_commit_callbacks(execute=True):
        response = gh.deliver(api, github, "pull_request", gh.PULL_REQUEST_MERGED)

    assert response.status_code == 200
    [request] = hook_server.received
    assert request.signature_is_valid()
    assert request.json["event"] == "github:acme/api:pull_request.merged"
    assert request.json["occurred_at"] == "2024-01-03T10:15:00+00:00"
    assert request.json["data"]["merge_commit_sha"] == "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c"
    assert TriggerDelivery.objects.get().trigger.name == "release-bot"


def test_a_failed_github_actions_run_fires_the_same_trigger_as_a_failed_cirrus_build(
    api, hook_server, django_capture_on_commit_callbacks
):
    github = ConnectionFactory(kind="github", secret=gh.SECRET)
    make_trigger(hook_server.url, "*:*:build.failed")
    failed = gh.changed(gh.WORKFLOW_RUN, **{"workflow_run.conclusion": "timed_out"})

    with django_capture_on_commit_callbacks(execute=True):
        gh.deliver(api, github, "workflow_run", failed)

    assert [r.json["event"] for r in hook_server.received] == ["github:acme/api:build.failed"]
