"""GitHub webhook deliveries (docs.github.com "Webhook events and payloads"): signed JSON with
`X-GitHub-Event`, `X-GitHub-Delivery` and `X-GitHub-Hook-ID`. Every documented example of
every event is answered 2xx (GitHub marks anything else a failed delivery); fields DORA Hub
does not need are never required; a redelivery is answered with the first answer and marked
as a replay, which GitHub shows in "Recent deliveries"."""

import copy

import pytest

from apps.ingest.models import Delivery
from tests.conftest import Sender
from tests.factories import ConnectionFactory, token_for
from tests.integrations import github_payloads as gh
from tests.integrations.contracts.helpers import issues

pytestmark = pytest.mark.django_db


@pytest.fixture
def github() -> Sender:
    connection = ConnectionFactory(kind="github", secret=gh.SECRET)
    return Sender(connection=connection, token=token_for(connection))


def pinned(action: str) -> dict:
    """The shape of GitHub's documented `issues` `pinned` / `unpinned` examples: the issue
    carries no `state` (and, in the example, no labels)."""
    payload = copy.deepcopy(gh.ISSUE_OPENED)
    payload["action"] = action
    del payload["issue"]["state"], payload["label"]
    return payload


@pytest.mark.parametrize("action", ["pinned", "unpinned"])
def test_pinned_and_unpinned_issues_without_a_state_are_answered_2xx(api, github, action):
    response = gh.deliver(api, github.connection, "issues", pinned(action))

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "ignored"
    assert Delivery.objects.get().status == "accepted"


def test_pinning_an_open_incident_leaves_it_open(api, github):
    gh.deliver(api, github.connection, "issues", gh.ISSUE_OPENED)

    gh.deliver(api, github.connection, "issues", pinned("pinned"))

    [incident] = issues(github.token)
    assert incident["external_id"] == "acme/api#57"
    assert incident["status"] == "TODO"
    assert incident["resolved_at"] is None


def test_a_redelivery_gets_the_first_answer_marked_as_replayed(api, github):
    first = gh.deliver(api, github.connection, "issues", gh.ISSUE_OPENED, delivery="d-1")
    again = gh.deliver(api, github.connection, "issues", gh.ISSUE_OPENED, delivery="d-1")

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert [d.status for d in Delivery.objects.order_by("id")] == ["accepted", "duplicate"]
    assert len(issues(github.token)) == 1
