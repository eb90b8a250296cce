from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from apps.deployments.models import Deployment
from apps.integrations import demo
from apps.issues.models import Issue

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)


def test_demo_history_has_three_projects_failures_and_linked_and_unlinked_incidents():
    summary = demo.seed(days=120, now=NOW)
    call_command("recompute_metrics", "--all", stdout=StringIO())

    assert set(Deployment.objects.values_list("project__slug", flat=True)) == {
        "shop",
        "payments",
        "search",
    }
    assert summary.deployments == Deployment.objects.count() > 50
    assert Deployment.objects.filter(result="FAILURE").exists()
    assert all(d.deployment_commits.exists() for d in Deployment.objects.all()[:30])
    incidents = Issue.objects.filter(is_incident=True)
    assert incidents.filter(deployment__isnull=False).exists()
    assert incidents.filter(resolved_at__isnull=False).exists()


@pytest.mark.parametrize("day", range(7))
def test_a_short_demo_shows_every_project_with_a_cadence_whatever_the_weekday(day):
    # Test pages seed 30 days; the slowest project (0.8 releases a week) must have some in it.
    demo.seed(days=30, now=NOW + timedelta(days=day))
    shipped = Deployment.objects.filter(environment="PRODUCTION", result="SUCCESS")
    assert set(shipped.values_list("project__slug", flat=True)) == {"shop", "payments", "search"}


def test_seed_demo_loads_once():
    call_command("seed_demo", "--days", "20", "--if-empty", stdout=StringIO())
    count = Deployment.objects.count()
    assert count > 0

    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "not loaded again" in out.getvalue()
    assert Deployment.objects.count() == count
