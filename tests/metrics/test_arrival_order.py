"""The same data posted in two different orders gives the same links and the same figures."""

from dataclasses import asdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.issues.models import Issue
from apps.metrics.selectors import Scope, dora_report
from tests.factories import ConnectionFactory, ProjectFactory
from tests.metrics import history as hist

pytestmark = pytest.mark.django_db


def outcome(project) -> dict:
    scope = Scope(project=project, since=hist.SINCE, until=hist.UNTIL)
    report = dora_report(scope=scope, interval="week")
    incidents = Issue.objects.filter(project=project).order_by("issue_key")
    return {
        "figures": asdict(report.figures),
        "series": [asdict(point) for point in report.series],
        "links": [
            (
                i.issue_key,
                i.deployment.external_id if i.deployment else None,
                i.link_method,
                i.resolved_by.external_id if i.resolved_by else None,
                i.resolved_at,
            )
            for i in incidents.select_related("deployment", "resolved_by")
        ],
    }


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), history=hist.histories())
def test_two_arrival_orders_give_identical_figures_and_links(data, history):
    items = hist.items(history)
    shuffled = data.draw(st.permutations(items), label="arrival order")
    # Reversed: every incident before the deployments that may have caused or resolved it.
    with transaction.atomic():
        results = []
        for order in (items, items[::-1], shuffled):
            project = ProjectFactory(
                time_zone=history.time_zone, incident_link_window=history.link_window
            )
            connection = ConnectionFactory(project=project)
            for item in order:
                hist.write(connection, item)
            results.append(outcome(project))
        assert results[0] == results[1]
        assert results[0] == results[2]
        transaction.set_rollback(True)
