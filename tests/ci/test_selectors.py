"""CI health figures for the dashboards."""

import statistics
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.ci.models import Pipeline
from apps.ci.selectors import ci_health, ci_health_breakdown, duration_percentiles, on_hold
from tests.ci.factories import JobFactory, PipelineFactory
from tests.factories import BASE_TIME, ConnectionFactory, RepositoryFactory

pytestmark = pytest.mark.django_db

SINCE, UNTIL = BASE_TIME, BASE_TIME + timedelta(days=7)


@pytest.fixture
def cirrus():
    return ConnectionFactory(kind="cirrus")


def builds(connection, durations, **fields):
    return [PipelineFactory(connection=connection, duration_seconds=d, **fields) for d in durations]


def test_success_rate_counts_succeeded_over_succeeded_and_failed(cirrus):
    builds(cirrus, [10, 20, 30], status="SUCCESS")
    builds(cirrus, [40], status="FAILURE")
    builds(cirrus, [1], status="ABORTED")
    builds(cirrus, [0], status="SKIPPED")

    health = ci_health(project_id=cirrus.project_id, since=SINCE, until=UNTIL)["builds"]

    assert health["success_rate"] == 0.75
    assert (health["succeeded"], health["failed"], health["aborted"], health["skipped"]) == (
        3,
        1,
        1,
        1,
    )
    assert health["finished"] == 6


def test_median_and_p90_are_percentile_cont_of_runs_that_ran_to_the_end(cirrus):
    durations = [5, 1, 9, 3, 100, 7, 8, 2]
    builds(cirrus, durations, status="SUCCESS")
    builds(cirrus, [10_000], status="ABORTED")  # cancelled runs do not count

    health = ci_health(project_id=cirrus.project_id, since=SINCE, until=UNTIL)["builds"]

    quantiles = statistics.quantiles(durations, n=10, method="inclusive")
    assert health["median_duration_seconds"] == statistics.median(durations) == 6.0
    assert health["p90_duration_seconds"] == pytest.approx(quantiles[8]) == 36.3


def test_a_single_run_is_its_own_median_and_p90(cirrus):
    builds(cirrus, [42], status="FAILURE")

    health = ci_health(project_id=cirrus.project_id, since=SINCE, until=UNTIL)["builds"]

    assert (health["median_duration_seconds"], health["p90_duration_seconds"]) == (42, 42)


def test_no_runs_is_no_data_not_zero(cirrus):
    health = ci_health(project_id=cirrus.project_id, since=SINCE, until=UNTIL)

    assert health["builds"]["success_rate"] is None
    assert health["builds"]["median_duration_seconds"] is None
    assert health["jobs"]["p90_duration_seconds"] is None


def test_the_period_is_half_open_on_finish_time(cirrus):
    PipelineFactory(connection=cirrus, finished_at=SINCE, status="SUCCESS")
    PipelineFactory(connection=cirrus, finished_at=UNTIL, status="FAILURE")
    PipelineFactory(connection=cirrus, finished_at=SINCE - timedelta(seconds=1))

    health = ci_health(project_id=cirrus.project_id, since=SINCE, until=UNTIL)["builds"]

    assert (health["succeeded"], health["failed"]) == (1, 0)


def test_figures_can_be_narrowed_to_a_repository_and_branch(cirrus):
    api = RepositoryFactory(project=cirrus.project)
    builds(cirrus, [10], repository=api, branch="main", status="SUCCESS")
    builds(cirrus, [20], repository=api, branch="dev", status="FAILURE")
    builds(cirrus, [30], status="FAILURE")

    health = ci_health(
        project_id=cirrus.project_id, since=SINCE, until=UNTIL, repository=api.pk, branch="main"
    )["builds"]

    assert (health["succeeded"], health["failed"], health["median_duration_seconds"]) == (
        1,
        0,
        10,
    )


def test_other_projects_do_not_count(cirrus):
    builds(ConnectionFactory(kind="cirrus"), [10], status="FAILURE")

    assert (
        ci_health(project_id=cirrus.project_id, since=SINCE, until=UNTIL)["builds"]["finished"] == 0
    )


def test_jobs_have_their_own_figures(db):
    allstacks = ConnectionFactory(kind="allstacks")
    JobFactory(connection=allstacks, duration_seconds=100, status="SUCCESS")
    JobFactory(connection=allstacks, duration_seconds=300, status="FAILURE")
    JobFactory(connection=allstacks, status="ON_HOLD", finished_at=None)

    health = ci_health(project_id=allstacks.project_id, since=SINCE, until=UNTIL)

    assert health["jobs"]["success_rate"] == 0.5
    assert health["jobs"]["median_duration_seconds"] == 200
    assert health["jobs"]["on_hold"] == 1
    assert health["builds"]["finished"] == 0


def test_on_hold_lists_builds_and_jobs_waiting_longest_first(cirrus):
    PipelineFactory(
        connection=cirrus,
        status="ON_HOLD",
        original_status="NEEDS_APPROVAL",
        finished_at=None,
        status_changed_at=BASE_TIME + timedelta(hours=2),
    )
    JobFactory(
        connection=cirrus,
        status="ON_HOLD",
        original_status="PAUSED",
        finished_at=None,
        status_at=BASE_TIME,
    )
    PipelineFactory(connection=cirrus, status="IN_PROGRESS", finished_at=None)

    waiting = on_hold(project_id=cirrus.project_id)

    assert [(w.kind, w.original_status) for w in waiting] == [
        ("job", "PAUSED"),
        ("build", "NEEDS_APPROVAL"),
    ]
    assert (
        ci_health(project_id=cirrus.project_id, since=SINCE, until=UNTIL)["builds"]["on_hold"] == 1
    )


def test_breakdown_per_branch(cirrus):
    builds(cirrus, [5, 1, 9, 3], branch="main", status="SUCCESS")
    builds(cirrus, [10], branch="dev", status="FAILURE")
    PipelineFactory(connection=cirrus, branch="old", finished_at=SINCE - timedelta(days=1))

    rows = ci_health_breakdown(
        project_id=cirrus.project_id, since=SINCE, until=UNTIL, group_by="branch"
    )

    assert [(r["branch"], r["finished"], r["success_rate"]) for r in rows] == [
        ("main", 4, 1.0),
        ("dev", 1, 0.0),
    ]
    assert rows[0]["median_duration_seconds"] == 4.0
    assert rows[0]["p90_duration_seconds"] == pytest.approx(7.8)


def test_breakdown_per_repository_names_it(cirrus):
    api = RepositoryFactory(project=cirrus.project, url="https://github.com/acme/api")
    builds(cirrus, [10, 20], repository=api, status="SUCCESS")
    builds(cirrus, [30], repository=None, status="FAILURE")

    rows = ci_health_breakdown(
        project_id=cirrus.project_id, since=SINCE, until=UNTIL, group_by="repository"
    )

    assert [(r["repository"], r["label"], r["median_duration_seconds"]) for r in rows] == [
        (api.pk, "acme/api", 15.0),
        (None, "", 30.0),
    ]


def test_the_breakdown_reads_a_bounded_number_of_rows_and_queries(
    cirrus, django_assert_max_num_queries
):
    for branch in range(20):
        builds(cirrus, range(1, 30), branch=f"b{branch}", status="SUCCESS")

    with django_assert_max_num_queries(3):
        rows = ci_health_breakdown(
            project_id=cirrus.project_id, since=SINCE, until=UNTIL, group_by="branch"
        )
    with django_assert_max_num_queries(6):
        ci_health(project_id=cirrus.project_id, since=SINCE, until=UNTIL)

    assert len(rows) == 20
    assert {r["median_duration_seconds"] for r in rows} == {15.0}


def test_percentiles_are_one_aggregate_query_however_many_builds(cirrus):
    builds(cirrus, range(1, 1001), status="SUCCESS")

    with CaptureQueriesContext(connection) as queries:
        found = duration_percentiles(Pipeline.objects.all(), fractions=(0.5,))

    assert found == {None: {0.5: 500.5}}
    assert len(queries.captured_queries) == 1
