"""The pages show the metrics selectors' figures, stay within a query budget, and need a login."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.connections.models import Project
from apps.dashboards import formatting
from apps.dashboards.formatting import human_duration
from apps.integrations import demo
from apps.issues.models import Issue
from apps.metrics.selectors import Scope, dora_report
from apps.metrics.services import mark_project, recompute_dirty
from tests.dashboards.figures_html import FigureElement
from tests.dashboards.figures_html import figures as read_figures
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
    with django_assert_max_num_queries(60):
        response = viewer.get(url)
    assert response.status_code == 200


def test_project_cards_show_the_selector_figures_in_one_format(viewer, seeded):
    today = timezone.localdate()
    page = viewer.get("/projects/shop/?period=30").content.decode()
    report = dora_report(
        scope=Scope(
            project=seeded, since=today - timedelta(days=29), until=today + timedelta(days=1)
        )
    )
    figures = report.figures
    cards = {}
    for element in read_figures(page):
        cards.setdefault(element.metric, element)

    def card(metric: str) -> str:
        match = re.search(rf'data-metric="{metric}".*?>(.*?)</section>', page, re.S)
        assert match, metric
        return match.group(1)

    frequency = figures.deployment_frequency
    assert cards["deployment_frequency"].value == pytest.approx(frequency.per_day)
    assert formatting.frequency(frequency.per_day) in card("deployment_frequency")
    assert f"{frequency.deployments} deployments" in card("deployment_frequency")
    assert cards["deployments"].value == frequency.deployments

    def shown(seconds: float | None) -> str:
        return "no data" if seconds is None else human_duration(seconds)

    assert cards["lead_time"].value == pytest.approx(figures.lead_time.median_seconds)
    assert shown(figures.lead_time.median_seconds) in card("lead_time")
    assert figures.lead_time.level in card("lead_time")
    cfr = figures.change_failure_rate
    assert f"{cfr.failed_deployments} of {cfr.deployments} deployments failed" in card(
        "change_failure_rate"
    )
    assert shown(figures.time_to_restore.median_seconds) in card("time_to_restore")
    assert cards["failed_attempts"].value == frequency.failed_attempts
    assert cards["rework_rate"].value == pytest.approx(figures.rework_rate.rate)


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
    cards: dict[str, FigureElement] = {}
    for element in read_figures(page):
        cards.setdefault(element.metric, element)

    assert cards["deployments"].value == 3
    assert cards["deployment_frequency"].value == pytest.approx(3 / 30)
    assert cards["failed_attempts"].value == 1
    assert cards["lead_time"].value == 4 * 3600
    assert cards["change_failure_rate"].value == pytest.approx(1 / 3)
    assert cards["time_to_restore"].value == 3 * 3600
    assert cards["recovery_time"].value == 4 * 3600  # from the deployment's finish
    text = " ".join(page.split())
    for shown in ("4.0 h", "33.3%", "3.0 h", "1 of 3 deployments failed"):
        assert shown in text


def test_each_figure_says_how_it_is_computed_and_how_its_level_was_decided(viewer, seeded):
    page = viewer.get("/projects/shop/?period=30").content.decode()
    assert page.count("How is this computed?") >= 7
    week = re.search(r"deploys on a median of (\d+\.\d) days a week", page)
    assert week, "the deployment frequency level names the measure it was decided on"
    assert "Levels (DORA 2023 benchmark)" in page
    assert "elite ≤ 5%" in page


def test_a_percentage_change_needs_enough_rows_on_both_sides():
    from apps.dashboards.figures import _compare

    few = _compare(
        "time_to_restore", 200.0, 2, 100.0, 1, higher_is_better=False, write=human_duration
    )
    assert "%" not in few.text
    assert "too few to compare" in few.text
    assert "n=1" in few.text
    many = _compare(
        "time_to_restore", 200.0, 20, 100.0, 15, higher_is_better=False, write=human_duration
    )
    assert many.text.startswith("+100%")
    assert many.css == "worse"


def test_one_duration_format_on_every_page(viewer, seeded):
    incident = Issue.objects.filter(is_incident=True, resolved_at__isnull=False).first()
    seconds = (incident.resolved_at - incident.created_at).total_seconds()
    written = human_duration(seconds)
    since = (incident.created_at - timedelta(days=1)).date().isoformat()
    listing = viewer.get(f"/projects/{incident.project.slug}/incidents/?since={since}").content
    detail = viewer.get(f"/projects/{incident.project.slug}/incidents/{incident.pk}/").content
    assert written in listing.decode()
    assert written in detail.decode()
    assert "hours," not in listing.decode()


def test_overview_has_teams_a_total_and_a_row_per_project_with_data(viewer, seeded):
    page = viewer.get("/?period=90").content.decode()
    for slug in ("shop", "payments", "search"):
        assert f'href="/projects/{slug}/' in page
    assert 'href="/teams/commerce/' in page
    assert "Organisation total" in page
    # total + 2 teams + 3 projects with data; billing has none and is collapsed
    assert page.count('data-metric="lead_time"') == 6
    assert "1 project with no data in this period" in page
    assert re.search(r'class="badge (elite|high|medium|low|no-data)"', page)


def test_overview_says_which_environment_it_shows(viewer, seeded):
    page = viewer.get("/?environment=STAGING").content.decode()
    assert 'data-environment="STAGING"' in page
    assert "Production" not in page


def test_overview_sorts_by_a_metric_worst_first(viewer, seeded):
    page = viewer.get("/?sort=change_failure_rate").content.decode()
    rows = [f for f in read_figures(page) if f.metric == "change_failure_rate"]
    projects = [f.value for f in rows[3:] if f.value is not None]  # after total and teams
    assert projects == sorted(projects, reverse=True)
    ascending = viewer.get("/?sort=change_failure_rate&order=asc").content.decode()
    rows = [f for f in read_figures(ascending) if f.metric == "change_failure_rate"]
    assert [f.value for f in rows[3:]] == sorted(projects)


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
    production = seeded.deployments.filter(result="SUCCESS", environment="PRODUCTION")
    assert len(rows) == production.count()


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
    assert "24.0 h" in page  # its lead time, in the one duration format
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
    page = viewer.get(
        "/projects/p4/incidents/?linked=false&since=2023-12-01&until=2024-06-01"
    ).content.decode()
    assert "ALONE-1" in page
    assert "LINKED-1" not in page


def test_empty_overview_tells_a_new_user_what_to_do(viewer):
    page = viewer.get("/").content.decode()
    assert "No projects yet" in page
    assert "/admin/connections/connection/add/" in page


def test_unknown_project_is_404(viewer):
    assert viewer.get("/projects/nope/").status_code == 404
