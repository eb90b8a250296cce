"""Issue 16 finding 9: sources do not order their deliveries, and a signed body can be replayed
under a new delivery id. A payload updated before the stored one is ignored, and a resolution
only moves backwards (re-opening) on a payload updated after it. The rule lives in
`upsert_issue`, so every source (GitHub, DevLake, GitLab, PagerDuty, ...) gets it."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from apps.issues.models import Issue, IssueStatus
from apps.issues.services import IssueData, close_issue, upsert_issue
from tests.factories import ConnectionFactory
from tests.integrations import github_payloads as gh
from tests.integrations.github_payloads import changed, deliver

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 1, 3, 12, 30, tzinfo=UTC)


def incident(**overrides) -> IssueData:
    values = {"issue_key": "INC-1", "created_at": T0, "type": "INCIDENT", "title": "down"}
    return IssueData(**(values | overrides))


@pytest.fixture
def connection():
    return ConnectionFactory(kind="devlake")


def test_a_payload_updated_before_the_stored_one_is_ignored(connection):
    upsert_issue(connection=connection, data=incident(title="new", updated_at=T0 + timedelta(2)))

    late = upsert_issue(connection=connection, data=incident(title="old", updated_at=T0))

    assert (late.changed, late.stale) == (False, True)
    assert Issue.objects.get().title == "new"


def test_a_late_open_never_reopens_a_resolved_incident(connection):
    resolved = T0 + timedelta(hours=1)
    upsert_issue(
        connection=connection,
        data=incident(status=IssueStatus.DONE, resolved_at=resolved, updated_at=resolved),
    )

    upsert_issue(connection=connection, data=incident(updated_at=T0))  # older
    upsert_issue(connection=connection, data=incident())  # no update time: no evidence

    stored = Issue.objects.get()
    assert (stored.status, stored.resolved_at) == (IssueStatus.DONE, resolved)


def test_a_close_by_the_close_route_is_not_undone_by_a_repost_of_the_open(connection):
    upsert_issue(connection=connection, data=incident(updated_at=T0))
    close_issue(connection=connection, issue_key="INC-1", resolved_at=T0 + timedelta(hours=2))

    upsert_issue(connection=connection, data=incident(title="edited", updated_at=T0))

    assert Issue.objects.get().resolved_at == T0 + timedelta(hours=2)


def test_a_payload_updated_after_the_resolution_reopens(connection):
    resolved = T0 + timedelta(hours=1)
    upsert_issue(
        connection=connection,
        data=incident(status=IssueStatus.DONE, resolved_at=resolved, updated_at=resolved),
    )

    upsert_issue(connection=connection, data=incident(updated_at=resolved + timedelta(minutes=5)))

    stored = Issue.objects.get()
    assert (stored.status, stored.resolved_at) == (IssueStatus.TODO, None)


def test_the_reviewed_github_replay_leaves_the_incident_closed(client):
    """The review's reproduction: the signed "opened" body replayed under a new
    X-GitHub-Delivery after the close."""
    github = ConnectionFactory(kind="github", secret=gh.SECRET)
    assert deliver(client, github, "issues", gh.ISSUE_OPENED).status_code == 200
    closed = changed(
        gh.ISSUE_OPENED,
        action="closed",
        **{
            "issue.state": "closed",
            "issue.closed_at": "2024-01-03T13:10:00Z",
            "issue.updated_at": "2024-01-03T13:10:00Z",
        },
    )
    assert deliver(client, github, "issues", closed).status_code == 200

    replay = deliver(client, github, "issues", json.dumps(gh.ISSUE_OPENED).encode())

    assert replay.status_code == 200
    stored = Issue.objects.get()
    assert stored.status == IssueStatus.DONE
    assert stored.resolved_at == datetime(2024, 1, 3, 13, 10, tzinfo=UTC)
