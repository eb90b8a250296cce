"""Every figure on the project page, a team page and the overview links to the rows behind it,
and that list reproduces the figure: its data-total is the figure's sample (its count, a rate's
numerator) and, for a median, its data-median is the figure's value. The same holds after
changing the period, the environment and the service."""

from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apps.integrations import demo
from tests.dashboards.figures_html import FigureElement, figures, list_totals
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MEDIANS = {"lead_time", "time_to_restore", "recovery_time"}
COUNTS = {"deployments", "failed_attempts", "open_incidents"}
RATES = {"change_failure_rate", "rework_rate"}
CHART_POINTS_PER_CHART = 3  # the non-empty buckets followed per chart (all would be slow)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        demo.seed(days=75)
        call_command("recompute_metrics", "--all", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        from apps.connections.models import Project
        from apps.teams.models import Team

        Project.objects.all().delete()
        Team.objects.all().delete()


@pytest.fixture
def viewer(client: Client, seeded) -> Client:
    client.force_login(UserFactory())
    return client


def _period_days(href: str) -> int:
    query = parse_qs(urlsplit(href).query)
    if "since" in query:
        from datetime import date

        since = date.fromisoformat(query["since"][0])
        until = (
            date.fromisoformat(query["until"][0])
            if "until" in query
            else timezone.localdate() + timedelta(days=1)
        )
        return (until - since).days
    return int(query.get("period", ["90"])[0])


def assert_reproduces(client: Client, figure: FigureElement) -> dict[str, str]:
    assert figure.href, f"{figure.metric} has no link to its rows"
    response = client.get(figure.href)
    assert response.status_code == 200, figure.href
    listed = list_totals(response.content.decode())
    total = int(listed["data-total"])
    where = f"{figure.metric} -> {figure.href}"
    if figure.metric in COUNTS:
        assert total == figure.value, where
    elif figure.metric == "deployment_frequency":
        assert total == figure.number("data-sample"), where
        if figure.value is not None:
            assert figure.value == pytest.approx(total / _period_days(figure.href)), where
    elif figure.metric in RATES:
        assert total == figure.number("data-sample"), where
        of = figure.number("data-of")
        if of:
            assert figure.value == pytest.approx(total / of), where
        else:
            assert figure.value is None, where
    elif figure.metric in MEDIANS:
        assert total == figure.number("data-sample"), where
        median = listed.get("data-median", "")
        if figure.value is None:
            assert median == "", where
        else:
            assert float(median) == pytest.approx(figure.value), where
    else:
        raise AssertionError(f"unknown metric {figure.metric}")
    return listed


def follow_every_figure(client: Client, url: str) -> list[FigureElement]:
    response = client.get(url)
    assert response.status_code == 200, url
    found = figures(response.content.decode())
    followed: set[str] = set()
    per_chart: dict[str, int] = {}
    for figure in found:
        if figure.href in followed:
            continue
        bucket = figure.attrs.get("data-bucket")
        if bucket is not None:
            if not figure.number("data-sample"):
                continue
            per_chart[figure.metric] = per_chart.get(figure.metric, 0) + 1
            if per_chart[figure.metric] > CHART_POINTS_PER_CHART:
                continue
        followed.add(figure.href)
        assert_reproduces(client, figure)
    return found


SCOPES = ["", "?period=30", "?environment=STAGING", "?period=180&service=web"]


@pytest.mark.parametrize("query", SCOPES)
def test_every_project_figure_links_to_rows_that_reproduce_it(viewer, query):
    found = follow_every_figure(viewer, f"/projects/shop/{query}")
    metrics = {f.metric for f in found}
    assert metrics >= {
        "deployments",
        "deployment_frequency",
        "failed_attempts",
        "lead_time",
        "change_failure_rate",
        "time_to_restore",
        "recovery_time",
        "rework_rate",
        "open_incidents",
    }


@pytest.mark.parametrize("query", SCOPES)
def test_every_team_figure_links_to_rows_that_reproduce_it(viewer, query):
    found = follow_every_figure(viewer, f"/teams/commerce/{query}")
    assert any(f.metric == "change_failure_rate" for f in found)


@pytest.mark.parametrize("query", ["", "?period=30", "?environment=STAGING"])
def test_every_overview_cell_links_to_rows_that_reproduce_it(viewer, query):
    found = follow_every_figure(viewer, f"/{query}")
    assert len([f for f in found if f.metric == "change_failure_rate"]) >= 5  # org, 2 teams, 3


def test_the_links_keep_the_scope(viewer):
    page = viewer.get("/projects/shop/?period=30&environment=STAGING&service=web").content
    for figure in figures(page.decode()):
        query = parse_qs(urlsplit(figure.href).query)
        assert query["environment"] == ["STAGING"], figure.href
        assert query["service"] == ["web"], figure.href
        if "data-bucket" not in figure.attrs and figure.metric != "open_incidents":
            assert query["period"] == ["30"], figure.href


def test_the_demo_figures_are_not_trivial(viewer):
    found: dict[str, FigureElement] = {}
    for figure in figures(viewer.get("/projects/shop/").content.decode()):
        found.setdefault(figure.metric, figure)  # the cards come before the chart points
    assert found["change_failure_rate"].value > 0
    assert found["rework_rate"].value > 0
    assert found["open_incidents"].value >= 1
    assert found["lead_time"].value > 0


def test_a_team_is_the_union_of_its_projects_rows_not_an_average(viewer):
    def value(url: str, metric: str) -> FigureElement:
        return next(f for f in figures(viewer.get(url).content.decode()) if f.metric == metric)

    team = value("/teams/commerce/", "change_failure_rate")
    shop = value("/projects/shop/", "change_failure_rate")
    payments = value("/projects/payments/", "change_failure_rate")
    failed = shop.number("data-sample") + payments.number("data-sample")
    deployments = shop.number("data-of") + payments.number("data-of")
    assert team.number("data-sample") == failed
    assert team.number("data-of") == deployments
    assert team.value == pytest.approx(failed / deployments)
