"""The pages show the metrics selectors' figures, stay within a query budget, and need a login."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.connections.models import Project
from apps.integrations import demo
from apps.metrics.services import mark_project, recompute_dirty
from tests.factories import (
    ConnectionFactory,
    DeploymentCommitFactory,
    DeploymentFactory,
    IssueFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/projects/shop/",
    "/projects/shop/deployments/",
    "/projects/shop/incidents/",
]


@pytest.fixture
def seeded(db):
    demo.seed(days=30)
    return Project.objects.get(slug="shop")


@pytest.fixture
def viewer(client: Client) -> Client:
    client.force_login(UserFactory())
    return client


@pytest.mark.parametrize("url", PAGES)
def test_pages_require_login(client, seeded, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_within_a_query_budget(viewer, seeded, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(40):
        response = viewer.get(url)
    assert response.status_code == 200


def test_project_cards_show_the_figures_of_known_deployments_and_incidents(viewer):
    """Three deployments in the last 30 days with changes started 2, 4 and 6 hours before,
    one failed attempt, one incident caused by the second and restored in 3 hours."""
    project = ProjectFactory(slug="cards")
    connection = ConnectionFactory(project=project)
    now = timezone.now().replace(microsecond=0)
    shipped = []
    for days_ago, lead_hours in ((10, 2), (5, 4), (2, 6)):
        finished = now - timedelta(days=days_ago)
        deployment = DeploymentFactory(connection=connection, finished_at=finished)
        DeploymentCommitFactory(
            deployment=deployment,
            commit__authored_at=finished - timedelta(hours=lead_hours),
        )
        shipped.append(deployment)
    DeploymentFactory(connection=connection, finished_at=now - timedelta(days=3), result="FAILURE")
    caused_at = shipped[1].finished_at + timedelta(hours=1)
    IssueFactory(
        connection=connection,
        deployment=shipped[1],
        link_method="window",
        created_at=caused_at,
        resolved_at=caused_at + timedelta(hours=3),
        status="DONE",
    )
    mark_project(project=project)
    recompute_dirty()

    page = viewer.get("/projects/cards/?period=30").content.decode()

    def card(metric: str) -> str:
        match = re.search(rf'data-metric="{metric}">(.*?)</section>', page, re.S)
        assert match, metric
        return " ".join(match.group(1).split())

    assert card("deployment_frequency").startswith(
        '<div class="label">Deployment frequency</div> <div class="value">0.10 / day</div> '
        '<span class="badge high">high</span>'
    )
    assert "3 deployments on 3 days" in card("deployment_frequency")
    assert '<div class="value">4.0 h</div> <span class="badge elite">elite</span>' in card(
        "lead_time"
    )
    assert "3 changes · p75 5.0 h · p90 5.6 h" in card("lead_time")
    assert '<div class="value">33.3%</div> <span class="badge low">low</span>' in card(
        "change_failure_rate"
    )
    assert "1 of 3 deployments failed" in card("change_failure_rate")
    assert '<div class="value">3.0 h</div> <span class="badge high">high</span>' in card(
        "time_to_restore"
    )
    assert "1 incidents resolved" in card("time_to_restore")
    assert '<div class="value">1</div>' in card("failed_attempts")


def test_overview_has_one_row_per_project_with_levels(viewer, seeded):
    page = viewer.get("/?period=90").content.decode()
    for slug in ("shop", "payments", "search"):
        assert f'href="/projects/{slug}/' in page
    assert page.count('data-metric="lead_time"') == 3
    assert re.search(r'class="badge (elite|high|medium|low|no-data)"', page)


def test_no_inline_scripts_so_the_csp_holds(viewer, seeded):
    page = viewer.get("/projects/shop/").content.decode()
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_deployments_csv_matches_the_filtered_list(viewer, seeded):
    response = viewer.get("/projects/shop/deployments/?result=SUCCESS&format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert rows
    assert {row["result"] for row in rows} == {"SUCCESS"}
    assert len(rows) == seeded.deployments.filter(result="SUCCESS").count()


def test_deployment_detail_shows_commit_lead_times_and_incidents(viewer):
    project = ProjectFactory(slug="p1")
    deployment = DeploymentFactory(connection__project=project, name="release 42")
    dc = DeploymentCommitFactory(deployment=deployment)
    incident = IssueFactory(
        connection=deployment.connection,
        deployment=deployment,
        link_method="window",
        issue_key="INC-42",
    )

    page = viewer.get(f"/projects/p1/deployments/{deployment.pk}/").content.decode()

    assert deployment.finished_at - dc.commit.start_at == timedelta(days=1)
    assert "24.0 h" in page  # its lead time
    assert "INC-42" in page
    assert "latest deployment within the link window" in page
    assert f"/projects/p1/incidents/{incident.pk}/" in page


def test_a_redeployed_commit_points_to_its_first_deployment(viewer):
    project = ProjectFactory(slug="p2")
    first = DeploymentFactory(connection__project=project)
    dc = DeploymentCommitFactory(deployment=first)
    again = DeploymentFactory(
        connection=first.connection, finished_at=first.finished_at + timedelta(days=1)
    )
    DeploymentCommitFactory(deployment=again, commit=dc.commit)

    page = viewer.get(f"/projects/p2/deployments/{again.pk}/").content.decode()
    assert "counted at its first deployment" in page
    assert f"/projects/p2/deployments/{first.pk}/" in page


def test_incident_detail_explains_an_unlinked_incident(viewer):
    project = ProjectFactory(slug="p3")
    incident = IssueFactory(connection__project=project, resolved_at=None)
    page = viewer.get(f"/projects/p3/incidents/{incident.pk}/").content.decode()
    assert "Not linked to a deployment" in page


def test_incident_list_filters_unlinked(viewer):
    project = ProjectFactory(slug="p4")
    linked = IssueFactory(
        connection__project=project,
        issue_key="LINKED-1",
        deployment=DeploymentFactory(connection__project=project),
    )
    IssueFactory(connection=linked.connection, issue_key="ALONE-1")
    page = viewer.get("/projects/p4/incidents/?linked=false").content.decode()
    assert "ALONE-1" in page
    assert "LINKED-1" not in page


def test_empty_overview_tells_a_new_user_what_to_do(viewer):
    page = viewer.get("/").content.decode()
    assert "No projects yet" in page
    assert "/admin/connections/connection/add/" in page


def test_unknown_project_is_404(viewer):
    assert viewer.get("/projects/nope/").status_code == 404
