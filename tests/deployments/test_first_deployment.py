"""A change's first deployment to an environment has one definition
(apps.deployments.selectors.first_shipments): its successful, finished deployment there with
the earliest finish, the lower deployment id on a tie. The lead-time rows, the live lead times
and the deployment page all agree on it."""

from datetime import UTC, date, datetime, timedelta

import pytest

from apps.deployments.selectors import deployment_commits_with_lead_time, first_shipments
from apps.marks.services import mark_dirty
from apps.metrics.models import ChangeLeadTime
from apps.metrics.selectors import Scope, dora_report
from apps.metrics.services import recompute_dirty
from tests.factories import (
    CommitFactory,
    ConnectionFactory,
    DeploymentCommitFactory,
    DeploymentFactory,
)

pytestmark = pytest.mark.django_db

START = datetime(2024, 3, 4, 9, tzinfo=UTC)
FINISH = datetime(2024, 3, 5, 12, tzinfo=UTC)
MARCH = {"since": date(2024, 3, 1), "until": date(2024, 4, 1)}


@pytest.fixture
def history():
    """One change shipped by: a failed attempt and an unfinished 'success' before it, two
    successful deployments finishing at the same instant, a later one, and an earlier
    deployment to staging."""
    connection = ConnectionFactory()
    change = CommitFactory(project=connection.project, authored_at=START)

    def ship(finished_at, **fields):
        deployment = DeploymentFactory(
            connection=connection,
            finished_at=finished_at,
            started_at=(finished_at or FINISH) - timedelta(minutes=5),
            **fields,
        )
        DeploymentCommitFactory(deployment=deployment, commit=change)
        return deployment

    deployments = {
        "staging": ship(FINISH - timedelta(hours=2), environment="STAGING"),
        "failed": ship(FINISH - timedelta(hours=1), result="FAILURE"),
        "unfinished": ship(None),
        "first": ship(FINISH),
        "tie": ship(FINISH),
        "later": ship(FINISH + timedelta(days=1)),
    }
    return connection, change, deployments


def test_the_first_deployment_is_the_earliest_successful_finish_with_the_lower_id_on_a_tie(
    history,
):
    _, change, deployments = history

    (first,) = first_shipments(environment="PRODUCTION").filter(commit=change)

    assert first.deployment_id == deployments["first"].pk
    assert deployments["first"].pk < deployments["tie"].pk
    (staging,) = first_shipments(environment="STAGING").filter(commit=change)
    assert staging.deployment_id == deployments["staging"].pk


def test_the_deployment_page_points_every_shipment_at_that_first_deployment(history):
    _, _, deployments = history

    for name in ("failed", "unfinished", "first", "tie", "later"):
        (row,) = deployment_commits_with_lead_time(deployment=deployments[name])
        assert row.first_deployment_id == deployments["first"].pk, name


def test_the_lead_time_rows_and_the_live_figure_count_the_change_at_that_first_deployment(
    history,
):
    connection, change, _ = history
    project = connection.project
    # While its days are marked, the figure is searched from the deployments; once rebuilt,
    # it is read from the stored rows.
    mark_dirty(project=project, environment="PRODUCTION", instants=[FINISH])
    live = dora_report(scope=Scope(project=project, **MARCH)).figures.lead_time
    recompute_dirty()
    stored = dora_report(scope=Scope(project=project, **MARCH)).figures.lead_time

    row = ChangeLeadTime.objects.get(commit=change, environment="PRODUCTION")
    assert row.first_deployed_at == FINISH
    assert row.lead_seconds == (FINISH - START).total_seconds()
    assert live == stored
    assert (live.changes, live.median_seconds) == (1, (FINISH - START).total_seconds())
