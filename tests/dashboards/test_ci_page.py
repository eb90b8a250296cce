from datetime import timedelta

import pytest
from django.utils import timezone

from apps.ci.selectors import ci_health
from apps.dashboards.formatting import human_duration, percent
from tests.ci.factories import PipelineFactory
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client):
    client.force_login(UserFactory())
    return client


def test_ci_page_shows_health_and_builds_waiting_for_approval(
    viewer, django_assert_max_num_queries
):
    cirrus = ConnectionFactory(kind="cirrus", project__slug="shop")
    recent = timezone.now() - timedelta(days=2)
    for seconds, status in [(60, "SUCCESS"), (120, "SUCCESS"), (600, "FAILURE")]:
        PipelineFactory(
            connection=cirrus, duration_seconds=seconds, status=status, finished_at=recent
        )
    PipelineFactory(
        connection=cirrus,
        status="ON_HOLD",
        original_status="NEEDS_APPROVAL",
        name="Deploy to prod",
        finished_at=None,
    )

    with django_assert_max_num_queries(20):
        response = viewer.get("/projects/shop/ci/?period=30")
    page = response.content.decode()

    start = timezone.now() - timedelta(days=31)
    builds = ci_health(project_id=cirrus.project_id, since=start, until=timezone.now())["builds"]
    assert percent(builds["success_rate"]) in page
    assert human_duration(builds["median_duration_seconds"]) in page
    assert "1 waiting for approval or paused" in page
    assert "NEEDS_APPROVAL" in page
    assert 'id="chart-ci"' in page


def test_ci_page_empty_state(viewer):
    ConnectionFactory(project__slug="quiet")
    page = viewer.get("/projects/quiet/ci/").content.decode()
    assert "No CI builds or jobs in this period" in page
