"""The marks leaf: days marked in the project's time zone, and one recompute request at a time,
answered by the metrics app's task registered under the leaf's name for it."""

from datetime import UTC, date, datetime

import pytest
from celery import current_app

from apps.marks.models import DirtyDay
from apps.marks.services import RECOMPUTE_TASK, mark_dirty, request_recompute
from apps.metrics.models import DailySnapshot
from apps.metrics.tasks import recompute_metrics
from tests.factories import ConnectionFactory, DeploymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_instants_are_marked_on_the_days_of_the_projects_time_zone():
    project = ProjectFactory(time_zone="Pacific/Auckland")

    mark_dirty(
        project=project,
        environment="PRODUCTION",
        instants=[datetime(2024, 3, 4, 20, tzinfo=UTC), None],
    )

    assert list(DirtyDay.objects.values_list("environment", "day")) == [
        ("PRODUCTION", date(2024, 3, 5))
    ]


def test_the_recompute_the_leaf_requests_is_the_metrics_rebuild():
    assert current_app.tasks[RECOMPUTE_TASK] is recompute_metrics._get_current_object()


def test_a_requested_recompute_rebuilds_the_marked_days(settings):
    settings.DORAHUB_RECOMPUTE_DELAY_SECONDS = 0
    connection = ConnectionFactory()
    deployment = DeploymentFactory(connection=connection, project=connection.project)
    mark_dirty(
        project=connection.project, environment="PRODUCTION", instants=[deployment.finished_at]
    )

    assert request_recompute() is True

    assert DailySnapshot.objects.get(project=connection.project).deployments == 1
    assert not DirtyDay.objects.exists()
