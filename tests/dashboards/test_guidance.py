"""Where a figure is empty or thin, the page says what is missing and how to fix it, for
this project; the data coverage page shows what each source sent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    CommitFactory,
    DeploymentCommitFactory,
    DeploymentFactory,
    IssueFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client):
    client.force_login(UserFactory())
    return client


def _card(page: str, metric: str) -> str:
    start = page.index(f'data-metric="{metric}"')
    return page[start : page.index("</section>", start)]


def test_deployments_only_in_staging_are_named_with_the_fix(viewer):
    project = ProjectFactory(slug="only-staging")
    DeploymentFactory(
        connection__project=project,
        environment="STAGING",
        finished_at=timezone.now() - timedelta(days=2),
    )
    page = viewer.get("/projects/only-staging/").content.decode()
    card = _card(page, "deployment_frequency")
    assert "Why is this empty?" in card
    assert "1 deployment to STAGING in this period" in card
    assert "environment=STAGING" in card


def test_no_incident_source_gives_the_route_and_a_curl(viewer):
    project = ProjectFactory(slug="no-incidents")
    DeploymentFactory(connection__project=project, finished_at=timezone.now() - timedelta(days=1))
    page = viewer.get("/projects/no-incidents/").content.decode()
    card = _card(page, "time_to_restore")
    assert "No incident source is connected" in card
    assert "curl -sS" in card
    assert "/issues" in card


def test_changes_without_start_times_say_how_to_send_them(viewer):
    project = ProjectFactory(slug="no-starts")
    deployment = DeploymentFactory(
        connection__project=project,
        service="web",
        finished_at=timezone.now() - timedelta(days=1),
    )
    DeploymentCommitFactory(
        deployment=deployment,
        commit=CommitFactory(project=project, authored_at=None, start_at=None),
    )
    page = viewer.get("/projects/no-starts/?service=web").content.decode()
    card = _card(page, "lead_time")
    assert "1 change skipped" in card
    assert "dorahub backfill git --tags &#x27;v*&#x27; --system web" in card
    assert "post `changes`" in card


def test_an_old_newest_deployment_is_dated(viewer):
    project = ProjectFactory(slug="stale")
    DeploymentFactory(connection__project=project, finished_at=timezone.now() - timedelta(days=200))
    page = viewer.get("/projects/stale/?period=30").content.decode()
    newest = (timezone.now() - timedelta(days=200)).date().isoformat()
    assert f"finished on {newest}, before this period" in _card(page, "deployment_frequency")


def test_coverage_lists_each_source_and_the_shares(viewer):
    project = ProjectFactory(slug="covered")
    now = timezone.now()
    with_start = DeploymentFactory(connection__project=project, finished_at=now - timedelta(days=1))
    DeploymentCommitFactory(deployment=with_start)
    DeploymentFactory(connection=with_start.connection, finished_at=now - timedelta(days=2))
    IssueFactory(
        connection=with_start.connection,
        deployment=with_start,
        created_at=now - timedelta(hours=20),
    )
    IssueFactory(connection=with_start.connection, created_at=now - timedelta(hours=5))
    page = viewer.get("/projects/covered/coverage/").content.decode()
    assert with_start.connection.name in page
    assert "1 of 2 deployments carry a change with a start time" in page
    assert "1 of 2 incidents created in the period" in page
    assert "50.0%" in page
