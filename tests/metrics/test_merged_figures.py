"""A team's and the organisation's figures (several projects as one) agree with the reference on
random histories, with every day rebuilt (the stored lead times) and with days still marked (the
stored lead times around the rows of those days)."""

from dataclasses import asdict, replace
from datetime import UTC, datetime

import pytest
from django.db import transaction
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


def figures(scope: Scope) -> dict:
    report = dora_report(scope=scope, interval="week", benchmark="2023")
    return {"figures": asdict(report.figures), "series": [asdict(p) for p in report.series]}


@EXAMPLES
@given(history=hist.histories(), split=st.floats(min_value=0, max_value=1))
def test_a_team_and_all_projects_agree_with_the_reference_marked_and_rebuilt(history, split):
    with transaction.atomic():
        project = hist.write_in_two_parts(history, split)  # the second part stays marked
        team = Scope(project=None, projects=(project,), since=hist.SINCE, until=hist.UNTIL)
        everyone = Scope(project=None, since=hist.SINCE, until=hist.UNTIL)  # in UTC
        expected = Reference(history)
        in_utc = Reference(replace(history, time_zone="UTC"))
        want_team = {
            "figures": expected.figures(hist.SINCE, hist.UNTIL),
            "series": expected.series(hist.SINCE, hist.UNTIL, "week"),
        }
        want_lead = in_utc.figures(hist.SINCE, hist.UNTIL)["lead_time"]

        for state in ("marked", "rebuilt"):
            assert figures(team) == approx(want_team), state
            assert figures(everyone)["figures"]["lead_time"] == approx(want_lead), state
            recompute_dirty()
        transaction.set_rollback(True)


def test_a_change_shipped_again_on_a_marked_day_counts_once_for_the_team():
    """Its stored lead time (the first shipment, rebuilt) and the one searched around the
    marked day of the second shipment are the same change."""
    project = ProjectFactory(time_zone="America/New_York")
    connection = ConnectionFactory(project=project)
    change = "1" * 40
    hist.write(connection, ref.Change(change, datetime(2024, 3, 10, tzinfo=UTC)))
    hist.write(connection, ref.Deployment("a", datetime(2024, 3, 12, 12, tzinfo=UTC), (change,)))
    recompute_dirty()
    hist.write(connection, ref.Deployment("b", datetime(2024, 3, 14, 12, tzinfo=UTC), (change,)))

    team = Scope(project=None, projects=(project,), since=hist.SINCE, until=hist.UNTIL)
    lead = dora_report(scope=team, interval=None).figures.lead_time

    assert (lead.changes, lead.skipped) == (1, 0)
    assert lead.median_seconds == 2.5 * 86400  # to the first shipment
