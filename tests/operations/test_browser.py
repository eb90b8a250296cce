"""An admin connects a source in a real browser (Debian's Chromium driven by Playwright): the
connection page gives the token once and its first-delivery panel changes when one arrives."""

import json
import os
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.factories import ProjectFactory, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls between page actions
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            yield page
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def post_deployment(url: str, token: str) -> int:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"repo_url": "https://github.com/acme/shop", "commit_sha": "abc123", "start_time": now}
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_create_a_connection_copy_its_token_and_see_the_first_delivery_arrive(live_server, page):
    StaffFactory(username="admin", password="correct horse battery staple")
    project = ProjectFactory(name="Shop", slug="shop")

    page.goto(f"{live_server.url}/admin/connections/connection/add/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.fill("#id_name", "deploy-bot")
    page.select_option("#id_project", str(project.pk))
    page.select_option("#id_kind", "devlake")
    page.click("input[name=_save]")

    page.wait_for_selector("code.dh-token")
    token = page.locator("code.dh-token").inner_text().strip()
    assert token.startswith("dh_")
    assert token in page.locator('pre[data-example="1"]').inner_text()
    panel = page.locator(".dh-delivery-panel")
    assert "Waiting for the first delivery" in panel.inner_text()
    page.screenshot(path=ARTIFACTS / "connection-created.png", full_page=True)

    route = page.locator("code", has_text="/deployments").first.inner_text()
    # The first example is DevLake's route, which answers 200 as DevLake does.
    assert post_deployment(f"{live_server.url}{route}", token) == 200

    page.wait_for_selector(".dh-delivery-panel[data-updated=true]", timeout=15000)
    text = panel.inner_text()
    assert "Accepted (200)" in text
    assert "1 accepted" in text
    page.screenshot(path=ARTIFACTS / "connection-first-delivery.png", full_page=True)

    page.reload()
    assert page.locator("code.dh-token").count() == 0  # shown once only
