"""Stored lead times (a change's first deployment, kept with the snapshot rebuild) stay exact
whatever arrives later: an earlier deployment of the change, a re-post that fails its first
deployment, a purge, a change reported earlier. Figures only use them once no day is marked."""

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.deployments.changes import CommitRef
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.metrics.models import ChangeLeadTime
from apps.metrics.selectors import Scope, dora_report
from apps.metrics.services import recompute_dirty
from apps.operations.services import purge_connection_data
from tests.factories import ConnectionFactory, ProjectFactory
from tests.metrics import history as hist
from tests.metrics import reference as ref
from tests.metrics.reference import Reference
from tests.metrics.test_reference_agreement import approx

pytestmark = pytest.mark.django_db

NOON = datetime(2024, 3, 12, 12, tzinfo=UTC)
SHA = "a" * 40
MARCH = {"since": date(2024, 3, 1), "until": date(2024, 4, 1)}


def lead_time(project):
    report = dora_report(scope=Scope(project=project, **MARCH))
    return report.source, report.figures.lead_time


def stored(project) -> dict[str, tuple[datetime, float | None]]:
    return {
        row.commit.sha: (row.first_deployed_at, row.lead_seconds)
        for row in ChangeLeadTime.objects.filter(project=project).select_related("commit")
    }


@pytest.fixture
def connection():
    return ConnectionFactory(project=ProjectFactory(time_zone="Europe/Berlin"))


def test_a_rebuild_stores_each_change_once_at_its_first_deployment(connection):
    hist.write(connection, ref.Change(SHA, NOON - timedelta(hours=4)))
    hist.write(connection, ref.Deployment("d1", NOON, (SHA,)))
    hist.write(connection, ref.Deployment("d2", NOON + timedelta(days=1), (SHA, "b" * 40)))
    hist.write(connection, ref.Deployment("s1", NOON, (SHA,), environment="STAGING"))

    recompute_dirty()

    assert stored(connection.project) == {
        SHA: (NOON, 4 * 3600.0),
        "b" * 40: (NOON + timedelta(days=1), None),
    }
    assert ChangeLeadTime.objects.filter(environment="STAGING").count() == 1
    source, figures = lead_time(connection.project)
    assert source == "snapshots"
    assert (figures.median_seconds, figures.changes, figures.skipped) == (4 * 3600.0, 1, 1)


def test_an_earlier_deployment_arriving_late_moves_the_change_out_of_the_period(connection):
    hist.write(connection, ref.Change(SHA, datetime(2024, 2, 20, tzinfo=UTC)))
    hist.write(connection, ref.Deployment("march", NOON, (SHA,)))
    recompute_dirty()
    assert lead_time(connection.project)[1].changes == 1

    # Shipped in February already: the February day is marked, not any day of March.
    hist.write(connection, ref.Deployment("february", datetime(2024, 2, 25, tzinfo=UTC), (SHA,)))
    source, figures = lead_time(connection.project)
    assert (source, figures.changes) == ("live", 0)

    recompute_dirty()
    source, figures = lead_time(connection.project)
    assert (source, figures.changes) == ("snapshots", 0)
    assert stored(connection.project)[SHA][0] == datetime(2024, 2, 25, tzinfo=UTC)


def test_a_first_deployment_reposted_as_failed_hands_the_change_to_the_next(connection):
    hist.write(connection, ref.Change(SHA, NOON - timedelta(hours=1)))
    for external_id, finished in (("first", NOON), ("second", NOON + timedelta(days=3))):
        hist.write(connection, ref.Deployment(external_id, finished, (SHA,)))
    recompute_dirty()

    hist.write(connection, ref.Deployment("first", NOON, (SHA,), result="FAILURE"))
    assert lead_time(connection.project)[1].median_seconds == 73 * 3600.0
    recompute_dirty()

    assert stored(connection.project) == {SHA: (NOON + timedelta(days=3), 73 * 3600.0)}
    assert lead_time(connection.project)[1].median_seconds == 73 * 3600.0


def test_a_deployment_moved_to_another_day_counts_once_before_the_rebuild(connection):
    hist.write(connection, ref.Deployment("d1", NOON, (SHA,)))
    recompute_dirty()

    hist.write(connection, ref.Deployment("d1", NOON + timedelta(days=2), (SHA,)))
    report = dora_report(scope=Scope(project=connection.project, **MARCH), interval="day")

    assert report.source == "live"
    assert report.figures.deployment_frequency.deployments == 1
    assert [p.start.day for p in report.series if p.deployments] == [14]


def test_a_change_losing_its_only_deployment_loses_its_lead_time(connection):
    hist.write(connection, ref.Deployment("d1", NOON, (SHA,)))
    recompute_dirty()

    upsert_deployment(
        connection=connection,
        data=DeploymentData(external_id="d1", finished_at=NOON, commits=[CommitRef(sha="b" * 40)]),
    )
    recompute_dirty()

    assert list(stored(connection.project)) == ["b" * 40]


def test_purging_the_connection_that_shipped_first_moves_the_change_to_the_other(connection):
    other = ConnectionFactory(project=connection.project)
    hist.write(connection, ref.Change(SHA, NOON - timedelta(hours=2)))
    hist.write(connection, ref.Deployment("early", NOON, (SHA,)))
    hist.write(other, ref.Deployment("late", NOON + timedelta(days=2), (SHA,)))
    recompute_dirty()

    purge_connection_data(connection=connection)
    recompute_dirty()

    assert stored(connection.project) == {SHA: (NOON + timedelta(days=2), 50 * 3600.0)}


def test_a_change_reported_earlier_gets_a_longer_lead_time(connection):
    hist.write(connection, ref.Change(SHA, NOON - timedelta(hours=2)))
    hist.write(connection, ref.Deployment("d1", NOON, (SHA,)))
    recompute_dirty()

    hist.write(connection, ref.Change(SHA, NOON - timedelta(days=2)))
    assert lead_time(connection.project)[0] == "live"
    recompute_dirty()

    source, figures = lead_time(connection.project)
    assert (source, figures.median_seconds) == ("snapshots", 2 * 86400.0)


EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@EXAMPLES
@given(data=st.data(), history=hist.histories())
def test_figures_agree_with_the_reference_whatever_was_rebuilt_between_deliveries(data, history):
    order = data.draw(st.permutations(hist.items(history)), label="arrival order")
    rebuilds = data.draw(
        st.lists(st.booleans(), min_size=len(order), max_size=len(order)), label="rebuilds"
    )
    with transaction.atomic():
        project = ProjectFactory(
            time_zone=history.time_zone, incident_link_window=history.link_window
        )
        connection = ConnectionFactory(project=project)
        for item, rebuild in zip(order, rebuilds, strict=True):
            hist.write(connection, item)
            if rebuild:
                recompute_dirty()
        expected = Reference(history)
        want = {
            "figures": expected.figures(hist.SINCE, hist.UNTIL),
            "series": expected.series(hist.SINCE, hist.UNTIL, "week"),
        }

        # Snapshots and stored lead times of the days rebuilt, the rows for the others.
        assert outcome(project)[1] == approx(want)
        recompute_dirty()
        assert outcome(project) == ("snapshots", approx(want))
        transaction.set_rollback(True)


def outcome(project) -> tuple[str, dict]:
    report = dora_report(
        scope=Scope(project=project, since=hist.SINCE, until=hist.UNTIL), interval="week"
    )
    return report.source, {
        "figures": asdict(report.figures),
        "series": [asdict(point) for point in report.series],
    }
