"""Daily snapshots: rebuilt from the rows for the days a write marked, never trusted for a day
still marked, and never the reason a figure lags behind the data."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.issues.models import Issue, LinkMethod
from apps.issues.services import IssueData, upsert_issue
from apps.marks.models import DirtyDay
from apps.marks.services import mark_dirty
from apps.metrics.models import DailySnapshot
from apps.metrics.selectors import Scope, dora_report
from apps.metrics.services import rebuild_marked, recompute_dirty
from apps.operations.tasks import reconcile
from tests.factories import ConnectionFactory, ProjectFactory
from tests.metrics import history as hist
from tests.metrics import reference as ref

pytestmark = pytest.mark.django_db

NOON = datetime(2024, 3, 5, 12, tzinfo=UTC)


@pytest.fixture
def connection():
    return ConnectionFactory(project=ProjectFactory(time_zone="Europe/Berlin"))


def rows(project) -> dict:
    return {
        (s.environment, s.day): (
            s.deployments,
            s.failed_attempts,
            s.failed_deployments,
            s.rework_deployments,
            s.incidents_opened,
            s.incidents_resolved,
        )
        for s in DailySnapshot.objects.filter(project=project)
    }


def test_a_rebuild_writes_one_row_per_project_environment_and_local_day(connection):
    late_evening = datetime(2024, 3, 5, 23, 30, tzinfo=UTC)  # already March 6 in Berlin
    for item in [
        ref.Deployment("a", NOON, ("1" * 40,)),
        ref.Deployment("b", late_evening, ("2" * 40,)),
        ref.Deployment("c", NOON, ("3" * 40,), result="FAILURE"),
        ref.Deployment("s", NOON, ("4" * 40,), environment="STAGING"),
        ref.Incident("INC-1", NOON + timedelta(hours=1), resolved_at=late_evening),
    ]:
        hist.write(connection, item)

    recompute_dirty()

    assert rows(connection.project) == {
        ("PRODUCTION", date(2024, 3, 5)): (1, 1, 1, 0, 1, 0),  # "a" caused INC-1
        ("PRODUCTION", date(2024, 3, 6)): (1, 0, 0, 0, 0, 1),
        ("STAGING", date(2024, 3, 5)): (1, 0, 0, 0, 0, 0),
    }
    assert not DirtyDay.objects.exists()


def test_a_day_left_with_nothing_loses_its_row(connection):
    hist.write(connection, ref.Deployment("a", NOON, ("1" * 40,)))
    recompute_dirty()

    hist.write(connection, ref.Deployment("a", NOON + timedelta(days=2), ("1" * 40,)))
    recompute_dirty()

    assert list(rows(connection.project)) == [("PRODUCTION", date(2024, 3, 7))]


def test_a_day_marked_again_during_its_rebuild_stays_marked(connection):
    hist.write(connection, ref.Deployment("a", NOON, ("1" * 40,)))
    read_by_the_rebuild = list(
        DirtyDay.objects.values_list("pk", "project_id", "environment", "day")
    )

    mark_dirty(project=connection.project, environment="PRODUCTION", instants=[NOON])
    rebuild_marked(marks=read_by_the_rebuild)

    assert DirtyDay.objects.filter(day=date(2024, 3, 5)).exists()


def test_figures_include_data_written_after_the_last_rebuild(connection):
    hist.write(connection, ref.Deployment("a", NOON, ("1" * 40,)))
    recompute_dirty()
    scope = Scope(project=connection.project, since=date(2024, 3, 1), until=date(2024, 4, 1))
    assert dora_report(scope=scope).source == "snapshots"

    hist.write(connection, ref.Deployment("b", NOON + timedelta(days=1), ("2" * 40,)))

    report = dora_report(scope=scope)
    assert report.source == "live"
    assert report.figures.deployment_frequency.deployments == 2


def test_snapshots_of_an_old_time_zone_are_not_used_and_reconcile_rebuilds_them(connection):
    hist.write(
        connection, ref.Deployment("b", datetime(2024, 3, 5, 23, 30, tzinfo=UTC), ("2" * 40,))
    )
    recompute_dirty()
    project = connection.project
    project.time_zone = "UTC"
    project.save()
    scope = Scope(project=project, since=date(2024, 3, 5), until=date(2024, 3, 6))

    assert dora_report(scope=scope).source == "live"
    assert dora_report(scope=scope).figures.deployment_frequency.deployments == 1

    reconcile()

    assert list(rows(project)) == [("PRODUCTION", date(2024, 3, 5))]
    assert dora_report(scope=scope).source == "snapshots"


def test_reconcile_rebuilds_today_and_yesterday_of_every_project(connection):
    now = datetime.now(UTC)
    hist.write(connection, ref.Deployment("today", now, ("1" * 40,)))
    recompute_dirty()
    DailySnapshot.objects.all().delete()  # a snapshot lost or gone wrong

    summary = reconcile()

    today = now.astimezone(connection.project.tz).date()
    assert ("PRODUCTION", today) in rows(connection.project)
    assert summary["days_rebuilt"] == 2  # today and yesterday of its one environment


def test_the_command_rebuilds_marked_days(connection):
    hist.write(connection, ref.Deployment("a", NOON, ("1" * 40,)))
    out = StringIO()

    call_command("recompute_metrics", stdout=out)

    assert "Rebuilt the snapshots of 1 days" in out.getvalue()
    assert rows(connection.project)


def test_the_command_decides_the_links_of_data_written_without_follow_ups(connection):
    # Written straight through the services (as the demo data is): no follow-up ran.
    hist.write(connection, ref.Deployment("a", NOON, ("1" * 40,)))
    upsert_issue(
        connection=connection,
        data=IssueData(issue_key="INC-1", created_at=NOON + timedelta(hours=1), type="INCIDENT"),
    )
    assert Issue.objects.get().link_method == LinkMethod.NONE

    call_command("recompute_metrics", "--project", connection.project.slug, stdout=StringIO())

    assert Issue.objects.get().link_method == LinkMethod.WINDOW
    assert rows(connection.project)[("PRODUCTION", date(2024, 3, 5))][2] == 1  # failed


def test_the_command_refuses_an_unknown_project():
    with pytest.raises(CommandError, match="No project"):
        call_command("recompute_metrics", "--project", "nope", stdout=StringIO())


def test_without_a_broker_a_webhook_rebuilds_the_snapshot_in_process(
    api, sender, django_capture_on_commit_callbacks
):
    body = {"id": "d1", "repo_url": "r", "commit_sha": "a" * 40, "start_time": NOON.isoformat()}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/connections/{sender.connection.pk}/deployments",
            data=body | {"end_time": NOON.isoformat()},
            format="json",
            **sender.auth,
        )

    assert response.status_code == 201
    snapshot = DailySnapshot.objects.get(project=sender.connection.project)
    assert (snapshot.day, snapshot.deployments) == (date(2024, 3, 5), 1)
    assert not DirtyDay.objects.exists()
