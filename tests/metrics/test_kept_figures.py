"""Kept figures: a project whose days are all rebuilt has its figures read from the cache, and
a figure kept is never older than the data: any rebuild that can change it changes its key."""

from dataclasses import asdict
from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from apps.metrics.selectors import Scope, dora_report
from apps.metrics.services import recompute_dirty
from tests.factories import ConnectionFactory, ProjectFactory
from tests.metrics import history as hist
from tests.metrics import reference as ref
from tests.metrics.reference import Reference
from tests.metrics.test_reference_agreement import EXAMPLES, approx

pytestmark = pytest.mark.django_db

SINCE, UNTIL = date(2024, 3, 4), date(2024, 4, 1)


def report(project, since: date = SINCE, until: date = UNTIL) -> dict:
    scope = Scope(project=project, since=since, until=until)
    result = dora_report(scope=scope, interval="week", benchmark="2023")
    return {
        "figures": asdict(result.figures),
        "series": [asdict(p) for p in result.series],
        "source": result.source,
    }


def team_of(project) -> Scope:
    return Scope(project=None, projects=(project,), since=hist.SINCE, until=hist.UNTIL)


def as_one(scope: Scope) -> dict:
    return asdict(dora_report(scope=scope, interval=None, benchmark="2023").figures)


def queries_of(project) -> tuple[dict, int]:
    with CaptureQueriesContext(db_connection) as queries:
        read = report(project)
    return read, len(queries)


@pytest.fixture
def connection():
    return ConnectionFactory(project=ProjectFactory(time_zone="UTC"))


def ship(connection, external_id: str, at: datetime, *shas: str) -> None:
    hist.write(connection, ref.Deployment(external_id, at, shas))


def test_a_rebuilt_project_is_read_from_the_cache_with_the_same_figures(connection):
    ship(connection, "a", datetime(2024, 3, 12, 12, tzinfo=UTC), "1" * 40)
    recompute_dirty()

    computed, computing = queries_of(connection.project)
    kept, keeping = queries_of(connection.project)

    assert kept == computed
    assert kept["source"] == "snapshots"
    assert kept["figures"]["deployment_frequency"]["deployments"] == 1
    assert keeping <= 3 < computing  # the marks and the snapshot versions, nothing else


def test_a_new_delivery_is_counted_at_once_and_after_its_rebuild(connection):
    ship(connection, "a", datetime(2024, 3, 12, 12, tzinfo=UTC), "1" * 40)
    recompute_dirty()
    report(connection.project)  # kept

    ship(connection, "b", datetime(2024, 3, 20, 12, tzinfo=UTC), "2" * 40)
    marked = report(connection.project)
    recompute_dirty()
    rebuilt = report(connection.project)

    assert marked["figures"]["deployment_frequency"]["deployments"] == 2
    assert rebuilt == {**marked, "source": "snapshots"}


def test_a_rebuild_before_the_period_that_moves_a_first_deployment_out_of_it_is_seen(connection):
    change = "3" * 40
    hist.write(connection, ref.Change(change, datetime(2024, 2, 20, tzinfo=UTC)))
    ship(connection, "in", datetime(2024, 3, 12, 12, tzinfo=UTC), change)
    recompute_dirty()
    before = report(connection.project)
    assert before["figures"]["lead_time"]["changes"] == 1

    # The change was deployed earlier than the period: its lead time leaves the period.
    ship(connection, "earlier", datetime(2024, 2, 25, 12, tzinfo=UTC), change)
    recompute_dirty()
    after = report(connection.project)

    assert after["source"] == "snapshots"
    assert after["figures"]["lead_time"]["changes"] == 0
    cache.clear()
    assert report(connection.project) == after


def test_a_day_left_with_nothing_after_its_rebuild_is_seen(connection):
    from apps.deployments.models import Deployment
    from apps.marks.services import mark_dirty

    ship(connection, "a", datetime(2024, 3, 12, 12, tzinfo=UTC), "1" * 40)
    ship(connection, "b", datetime(2024, 3, 13, 12, tzinfo=UTC), "2" * 40)
    recompute_dirty()
    assert report(connection.project)["figures"]["deployment_frequency"]["deployments"] == 2

    gone = Deployment.objects.get(external_id="b")
    mark_dirty(project=connection.project, environment="PRODUCTION", instants=[gone.finished_at])
    gone.delete()
    recompute_dirty()

    assert report(connection.project)["figures"]["deployment_frequency"]["deployments"] == 1


def test_each_period_and_interval_is_kept_apart(connection):
    ship(connection, "a", datetime(2024, 3, 12, 12, tzinfo=UTC), "1" * 40)
    recompute_dirty()
    march = report(connection.project)
    april = report(connection.project, since=date(2024, 4, 1), until=date(2024, 5, 1))

    assert march["figures"]["deployment_frequency"]["deployments"] == 1
    assert april["figures"]["deployment_frequency"]["deployments"] == 0
    scope = Scope(project=connection.project, since=SINCE, until=UNTIL)
    weekly = dora_report(scope=scope, interval="week")
    monthly = dora_report(scope=scope, interval="month")
    assert weekly.series  # the weekly report was kept with its series, this one too
    assert (len(weekly.series), len(monthly.series)) == (4, 1)


def test_a_team_is_kept_while_none_of_its_projects_is_marked(connection):
    other = ConnectionFactory(project=ProjectFactory(time_zone="Asia/Kolkata"))
    ship(connection, "a", datetime(2024, 3, 12, 12, tzinfo=UTC), "1" * 40)
    ship(other, "b", datetime(2024, 3, 13, 12, tzinfo=UTC), "2" * 40)
    recompute_dirty()
    team = Scope(
        project=None, projects=(connection.project, other.project), since=SINCE, until=UNTIL
    )
    computed = as_one(team)
    with CaptureQueriesContext(db_connection) as keeping:
        kept = as_one(team)

    ship(other, "c", datetime(2024, 3, 20, 12, tzinfo=UTC), "3" * 40)
    marked = as_one(team)
    recompute_dirty()
    rebuilt = as_one(team)

    assert kept == computed
    assert kept["deployment_frequency"]["deployments"] == 2
    assert len(keeping) <= 4  # the members' marks and snapshot versions
    assert marked["deployment_frequency"]["deployments"] == 3
    assert rebuilt == marked


def test_without_a_cache_the_figures_are_computed(connection, settings):
    ship(connection, "a", datetime(2024, 3, 12, 12, tzinfo=UTC), "1" * 40)
    recompute_dirty()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    first, first_queries = queries_of(connection.project)
    second, second_queries = queries_of(connection.project)

    assert first == second
    assert first["figures"]["deployment_frequency"]["deployments"] == 1
    assert second_queries == first_queries


def test_a_release_that_changes_how_figures_are_computed_reads_none_kept_before(
    connection, monkeypatch
):
    from apps.metrics.selectors import kept_figures

    ship(connection, "a", datetime(2024, 3, 12, 12, tzinfo=UTC), "1" * 40)
    recompute_dirty()
    _, computing = queries_of(connection.project)
    monkeypatch.setattr(kept_figures, "LAYOUT", "a-later-release")

    _, after_upgrade = queries_of(connection.project)

    assert after_upgrade == computing


def test_keeping_can_be_turned_off(connection, settings):
    settings.DORAHUB_FIGURE_CACHE_SECONDS = 0
    ship(connection, "a", datetime(2024, 3, 12, 12, tzinfo=UTC), "1" * 40)
    recompute_dirty()

    _, first = queries_of(connection.project)
    _, second = queries_of(connection.project)

    assert second == first


@EXAMPLES
@given(history=hist.histories(), split=st.floats(min_value=0, max_value=1))
def test_kept_figures_agree_with_the_reference_after_any_later_writes(history, split):
    """Part of a history is written and rebuilt and its figures kept; the rest is written and
    rebuilt; the figures read then are those of the whole history."""
    cache.clear()
    with transaction.atomic():

        def keep(project):
            report(project, hist.SINCE, hist.UNTIL)
            as_one(team_of(project))

        project = hist.write_in_two_parts(history, split, between=keep)
        recompute_dirty()

        read = report(project, hist.SINCE, hist.UNTIL)

        expected = Reference(history)
        want = expected.figures(hist.SINCE, hist.UNTIL, "PRODUCTION")
        assert read["source"] == "snapshots"
        assert read["figures"] == approx(want)
        assert read["series"] == approx(expected.series(hist.SINCE, hist.UNTIL, "week"))
        assert as_one(team_of(project)) == approx(want)
        transaction.set_rollback(True)
