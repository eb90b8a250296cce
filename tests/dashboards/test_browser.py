"""A manager's first visit, in a real browser (Debian's Chromium driven by Playwright)."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.connections.models import Project
from apps.dashboards.formatting import human_duration
from apps.integrations import demo
from apps.metrics.selectors import Scope, dora_report
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between page actions are ordinary blocking calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            yield page
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_log_in_see_the_overview_drill_into_a_project_and_a_deployment(live_server, browser_page):
    demo.seed(days=40)
    UserFactory(username="manager", password=("correct horse battery staple"))
    project = Project.objects.get(slug="shop")
    page = browser_page

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "manager")
    page.fill("#id_password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_selector("table.overview")
    page.screenshot(path=ARTIFACTS / "overview.png", full_page=True)
    assert page.locator("table.overview tbody tr").count() == 3

    page.click("text=Shop")
    page.wait_for_selector("section.metric")
    page.select_option("select[name=period]", "30")
    page.click("button:has-text('Apply')")
    page.wait_for_url(re.compile(r"period=30"))
    page.wait_for_selector("canvas[data-rendered=true]")
    page.screenshot(path=ARTIFACTS / "project.png", full_page=True)

    today = timezone.localdate()
    figures = dora_report(
        scope=Scope(
            project=project, since=today - timedelta(days=29), until=today + timedelta(days=1)
        )
    ).figures
    frequency = page.locator("[data-metric=deployment_frequency] .value").inner_text()
    assert frequency == f"{figures.deployment_frequency.per_day:.2f} / day"
    lead = page.locator("[data-metric=lead_time] .value").inner_text()
    assert lead == (
        human_duration(figures.lead_time.median_seconds)
        if figures.lead_time.median_seconds is not None
        else "no data"
    )
    assert page.locator("section.metric[data-metric]").count() >= 4
    assert page.locator("canvas[data-rendered=true]").count() == 4

    page.click("nav.tabs >> text=Deployments")
    page.wait_for_selector("table tbody tr")
    page.locator("table tbody tr td a").first.click()
    page.wait_for_selector("text=Commits")
    page.screenshot(path=ARTIFACTS / "deployment.png", full_page=True)
    assert "Linked incidents" in page.content()
