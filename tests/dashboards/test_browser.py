"""A manager's first visit, in a real browser (Debian's Chromium driven by Playwright)."""

import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from apps.integrations import demo
from apps.issues.models import Issue
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


def _shoot(page, name: str) -> None:
    """The page at a laptop's and a phone's width, as test artifacts."""
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=ARTIFACTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def _figure(page, metric: str):
    return page.locator(f"section.metric[data-metric={metric}]").first


def test_a_manager_finds_the_team_that_needs_help_and_corrects_a_link(live_server, browser_page):
    demo.seed(days=60)
    call_command("recompute_metrics", "--all", stdout=StringIO())
    lead = UserFactory(username="manager", password=("correct horse battery staple"))
    lead.user_permissions.add(Permission.objects.get(codename="change_attribution"))
    page = browser_page

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "manager")
    page.fill("#id_password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_selector("table.overview")
    _shoot(page, "overview")
    assert page.locator("tr.row-team").count() == 2
    assert page.locator("tr.row-organisation").count() == 1

    page.click("table.overview thead >> text=Change failure rate")
    page.wait_for_url(re.compile(r"sort=change_failure_rate"))
    rates = [
        float(v) if v else None
        for v in page.locator("tr.row-project td[data-metric=change_failure_rate]").evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
    ]
    known = [r for r in rates if r is not None]
    assert known == sorted(known, reverse=True)  # worst first
    _shoot(page, "overview-sorted")

    page.click("tr.row-team >> text=Commerce")
    page.wait_for_selector("section.metric[data-metric=change_failure_rate]")
    page.wait_for_selector("canvas[data-rendered=true]")
    assert page.locator("canvas[data-rendered=true]").count() == 6
    _shoot(page, "team")
    team_url = page.url
    cfr = _figure(page, "change_failure_rate")
    failed_before = int(cfr.get_attribute("data-sample"))
    assert failed_before > 0

    cfr.locator("a.figure-link").click()
    page.wait_for_selector("[data-total]")
    assert int(page.locator("[data-total]").get_attribute("data-total")) == failed_before
    assert "figure=change_failure_rate" in page.url
    _shoot(page, "failed-deployments")
    incident_link = page.locator("td.failed-cell ul.causes a[href*='/incidents/']").first
    incident = Issue.objects.get(
        pk=int(incident_link.get_attribute("href").rstrip("/").split("/")[-1])
    )
    blamed = incident.deployment
    still_failed = (
        blamed.incidents.exclude(pk=incident.pk).exists() or blamed.remediated_by.exists()
    )
    incident_link.click()
    page.wait_for_selector("text=Correct the attribution")
    _shoot(page, "incident")
    page.select_option("select[name=decision]", "not_caused")
    page.fill("textarea[name=reason]", "A provider outage, not our release")
    page.click("button:has-text('Save decision')")
    page.wait_for_selector("li.in-force[data-decision=not_caused]")
    assert "A provider outage, not our release" in page.content()

    page.goto(team_url)
    page.wait_for_selector("section.metric[data-metric=change_failure_rate]")
    failed_after = int(_figure(page, "change_failure_rate").get_attribute("data-sample"))
    assert failed_after == failed_before - (0 if still_failed else 1)
    incident.refresh_from_db()
    assert incident.deployment is None
    _shoot(page, "team-after")
