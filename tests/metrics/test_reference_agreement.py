"""The database implementation agrees with the reference implementation of METRICS.md on random
histories: computed live from the rows, and again from the rebuilt daily snapshots."""

from dataclasses import asdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.metrics.selectors import Scope, dora_report
from apps.metrics.services import recompute_dirty
from tests.factories import ConnectionFactory, ProjectFactory
from tests.metrics import history as hist
from tests.metrics.reference import Reference

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def approx(value):
    """Seconds and rates are floats; both sides compute them differently."""
    if isinstance(value, dict):
        return {k: approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [approx(v) for v in value]
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-9, abs=1e-6)
    return value


def report(project, environment: str, interval: str, benchmark: str = "2023") -> dict:
    scope = Scope(project=project, since=hist.SINCE, until=hist.UNTIL, environment=environment)
    result = dora_report(scope=scope, interval=interval, benchmark=benchmark)
    return {
        "figures": asdict(result.figures),
        "series": [asdict(p) for p in result.series],
        "source": result.source,
    }


@EXAMPLES
@given(
    history=hist.histories(),
    environment=st.sampled_from(["PRODUCTION", "STAGING"]),
    benchmark=st.sampled_from(["2023", "2021"]),
)
def test_figures_agree_with_the_reference_live_and_from_snapshots(history, environment, benchmark):
    with transaction.atomic():
        project = ProjectFactory(
            time_zone=history.time_zone, incident_link_window=history.link_window
        )
        connection = ConnectionFactory(project=project)
        for item in hist.items(history):
            hist.write(connection, item)
        expected = Reference(history)
        want = {
            "figures": expected.figures(hist.SINCE, hist.UNTIL, environment, benchmark),
            "series": expected.series(hist.SINCE, hist.UNTIL, "week", environment),
        }

        # Every written day is still marked dirty: counted from the rows.
        live = report(project, environment, "week", benchmark)
        assert live["figures"] == approx(want["figures"])
        assert live["series"] == approx(want["series"])

        recompute_dirty()
        stored = report(project, environment, "week", benchmark)
        assert stored["source"] == "snapshots"
        assert stored["figures"] == approx(want["figures"])
        assert stored["series"] == approx(want["series"])
        transaction.set_rollback(True)


@settings(EXAMPLES, max_examples=15)
@given(history=hist.histories())
def test_daily_series_agree_with_the_reference(history):
    with transaction.atomic():
        project = ProjectFactory(
            time_zone=history.time_zone, incident_link_window=history.link_window
        )
        connection = ConnectionFactory(project=project)
        for item in hist.items(history):
            hist.write(connection, item)
        expected = Reference(history).series(hist.SINCE, hist.UNTIL, "day")
        assert report(project, "PRODUCTION", "day")["series"] == approx(expected)
        transaction.set_rollback(True)
