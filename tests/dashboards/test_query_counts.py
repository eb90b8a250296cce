"""Each page runs a bounded number of queries whatever the number of projects: the overview
and the lists for 10 projects and for 50 run the same queries."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    DeploymentCommitFactory,
    DeploymentFactory,
    IssueFactory,
    ProjectFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/?sort=lead_time:level",
    "/projects/p-0/",
    "/projects/p-0/deployments/",
    "/projects/p-0/deployments/?figure=change_failure_rate",
    "/projects/p-0/changes/",
    "/projects/p-0/incidents/?figure=time_to_restore",
    "/teams/big/",
    "/teams/big/deployments/?figure=rework_rate",
    "/teams/big/incidents/?figure=open_incidents",
    "/organisation/changes/",
]
BUDGET = 70


def _projects(n: int) -> None:
    now = timezone.now()
    projects = []
    for i in range(n):
        project = ProjectFactory(slug=f"p-{i}", name=f"P {i}")
        projects.append(project)
        for day in (3, 10, 20):
            deployment = DeploymentFactory(
                connection__project=project, finished_at=now - timedelta(days=day)
            )
            DeploymentCommitFactory(
                deployment=deployment,
                commit__authored_at=now - timedelta(days=day + 1),
            )
        IssueFactory(
            connection=deployment.connection,
            deployment=deployment,
            link_method="window",
            created_at=now - timedelta(days=19),
            resolved_at=now - timedelta(days=18),
        )
        IssueFactory(connection=deployment.connection, created_at=now - timedelta(days=1))
    TeamFactory(slug="big", projects=projects)
    TeamFactory(slug="small", projects=projects[:2])


def _count(client, url: str) -> int:
    cache.clear()  # the figures computed, not the ones kept from the previous render
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("url", PAGES)
def test_queries_stay_bounded_and_do_not_grow_with_projects(
    client, url, django_assert_max_num_queries
):
    client.force_login(UserFactory())
    _projects(10)
    with django_assert_max_num_queries(BUDGET):
        at_ten = _count(client, url)
    _projects_more(40)
    with django_assert_max_num_queries(BUDGET):
        at_fifty = _count(client, url)
    assert at_fifty == at_ten, f"{url}: {at_ten} queries for 10 projects, {at_fifty} for 50"


def _projects_more(n: int) -> None:
    from apps.connections.models import Project
    from apps.teams.models import Team

    before = Project.objects.count()
    now = timezone.now()
    for i in range(before, before + n):
        project = ProjectFactory(slug=f"p-{i}", name=f"P {i}")
        deployment = DeploymentFactory(
            connection__project=project, finished_at=now - timedelta(days=2)
        )
        DeploymentCommitFactory(deployment=deployment)
        Team.objects.get(slug="big").projects.add(project)
