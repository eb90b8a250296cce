"""derive_effects runs one explicit, ordered list of steps per effect kind, then asks for one
recompute; kinds without steps are not derived."""

import logging
from datetime import UTC, datetime, timedelta

import pytest

from apps.deployments.changes import CommitRef, record_change
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.derive.services import derive_effects
from apps.issues.models import Issue
from apps.issues.services import IssueData, upsert_issue
from apps.marks.models import DirtyDay
from apps.metrics.models import DailySnapshot
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

REPO = "https://github.com/acme/shop"
T0 = datetime(2024, 5, 6, 9, tzinfo=UTC)


def deploy(connection, *, ident, sha, at):
    return upsert_deployment(
        connection=connection,
        data=DeploymentData(
            external_id=ident,
            finished_at=at,
            started_at=at - timedelta(minutes=5),
            commits=[CommitRef(sha=sha, repo_url=REPO)],
            commit_sha=sha,
            repo_url=REPO,
        ),
    ).deployment


def test_a_head_only_deployment_resolves_an_incident_named_by_a_commit_it_contains_by_inference(
    django_capture_on_commit_callbacks,
):
    # The fix is not the head of the deployment: only inference puts it into the deployment,
    # so the resolution step must run after the inference step.
    connection = ConnectionFactory()
    project = connection.project
    record_change(project=project, sha="a" * 40, reported_at=T0, repo_url=REPO)
    deploy(connection, ident="d1", sha="a" * 40, at=T0 + timedelta(hours=1))
    incident = upsert_issue(
        connection=connection,
        data=IssueData(issue_key="INC-1", type="INCIDENT", created_at=T0 + timedelta(hours=2)),
    ).issue
    record_change(
        project=project,
        sha="b" * 40,
        reported_at=T0 + timedelta(hours=3),
        repo_url=REPO,
        message="fixes INC-1",
    )
    record_change(project=project, sha="c" * 40, reported_at=T0 + timedelta(hours=4), repo_url=REPO)
    d2 = deploy(connection, ident="d2", sha="c" * 40, at=T0 + timedelta(hours=5))

    with django_capture_on_commit_callbacks(execute=True):
        derive_effects(effects={"deployments": [d2.pk]})

    incident = Issue.objects.get(pk=incident.pk)
    assert incident.resolved_by_id == d2.pk
    assert incident.resolved_at == d2.finished_at


def test_derived_days_are_rebuilt_by_one_requested_recompute(django_capture_on_commit_callbacks):
    connection = ConnectionFactory()
    deployment = deploy(connection, ident="d1", sha="a" * 40, at=T0)

    with django_capture_on_commit_callbacks(execute=True):
        derive_effects(effects={"deployments": [deployment.pk]})

    assert DailySnapshot.objects.get(project=connection.project).deployments == 1
    assert not DirtyDay.objects.exists()


def test_kinds_without_steps_derive_nothing_and_request_no_recompute(
    django_capture_on_commit_callbacks, caplog
):
    connection = ConnectionFactory()
    deploy(connection, ident="d1", sha="a" * 40, at=T0)

    with (
        caplog.at_level(logging.WARNING, logger="apps.derive.services"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        derive_effects(effects={"jobs": [1], "pipelines": [2], "deployment": [3]})

    assert callbacks == []
    assert DirtyDay.objects.exists()  # the write's marks wait for the next recompute
    assert [record.getMessage() for record in caplog.records] == [
        "no derive steps for effect kind 'deployment'; ignored"
    ]
