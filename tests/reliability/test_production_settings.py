"""Production settings: Django's deployment checklist passes, DEBUG cannot be switched on, and
every answer carries the security headers; the dashboards run under a content security policy
with no inline script or style."""

import importlib
import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings

from tests.factories import StaffFactory, token_for
from tests.reliability.conftest import ROOT, subprocess_env

pytestmark = pytest.mark.django_db

SECRET_KEY = "production-like-" + "k" * 60
PYTHON = sys.executable
# What production requires (apps/core/checks.py); `check` connects to neither.
SHARED_SERVICES = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/dorahub",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_production(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = subprocess_env(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(
        [PYTHON, *args], env=environment, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_deployment_checklist_passes():
    result = run_production(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING",
        SECRET_KEY=SECRET_KEY, ALLOWED_HOSTS="dorahub.example.com", **SHARED_SERVICES,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_cannot_be_switched_on_and_the_secret_key_is_required():
    show = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"

    debug = run_production("-c", show, SECRET_KEY=SECRET_KEY, DEBUG="true")
    keyless = run_production("-c", show)

    assert debug.stdout.strip() == "False", debug.stderr
    assert keyless.returncode != 0
    assert "SECRET_KEY" in keyless.stderr


@pytest.fixture
def production(monkeypatch):
    """This process's settings with everything config/settings/production.py sets on top of
    the base, except what ties it to real infrastructure (databases, caches, static manifest)."""
    import config.settings.base as base

    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    monkeypatch.delenv("DEBUG", raising=False)
    prod = importlib.reload(importlib.import_module("config.settings.production"))
    kept_apart = {"DATABASES", "CACHES", "STORAGES", "SECRET_KEY", "ALLOWED_HOSTS", "LOGGING"}
    changed = {
        name: getattr(prod, name)
        for name in dir(prod)
        if name.isupper()
        and name not in kept_apart
        and getattr(prod, name) != getattr(base, name, object())
    }
    assert {"SECURE_HSTS_SECONDS", "MIDDLEWARE", "X_FRAME_OPTIONS"} <= set(changed)
    with override_settings(**changed):
        yield changed


def test_answers_carry_the_security_headers(production):
    client = Client()
    page = client.get("/accounts/login/", secure=True)
    api = client.get("/api/v1/metrics/dora", secure=True)
    insecure = client.get("/accounts/login/")

    for response in (page, api):
        assert response["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert insecure.status_code == 301
    assert insecure["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200  # load balancers probe over plain HTTP


def test_cookies_are_secure_and_the_session_cookie_is_http_only(production):
    StaffFactory(username="dana")
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/", secure=True)
    csrf = client.cookies["csrftoken"]
    response = client.post(
        "/accounts/login/",
        {
            "username": "dana",
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": csrf.value,
        },
        secure=True,
        HTTP_REFERER="https://testserver/accounts/login/",  # HTTPS CSRF checks want it
    )

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert csrf["secure"]


class InlineCode(HTMLParser):
    """Collects what a strict content security policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and "src" not in named and named.get("type") != "application/json":
            self._in_script = True
            self.blocked.append("inline <script>")
        if tag == "style":
            self.blocked.append("inline <style>")
        for name, value in attrs:
            if name.startswith("on"):
                self.blocked.append(f"{tag} {name}= handler")
            if name == "style":
                self.blocked.append(f"{tag} style= attribute")
            if value and value.strip().lower().startswith("javascript:"):
                self.blocked.append(f"{tag} {name}=javascript: URL")


def dashboard_pages(slug: str, deployment: int, incident: int) -> list[str]:
    return [
        "/",
        "/activity/",
        f"/projects/{slug}/",
        f"/projects/{slug}/deployments/",
        f"/projects/{slug}/deployments/{deployment}/",
        f"/projects/{slug}/incidents/",
        f"/projects/{slug}/incidents/{incident}/",
        f"/projects/{slug}/ci/",
        "/accounts/password_change/",
    ]


def test_dashboards_run_under_the_policy_with_no_inline_script_or_style(production, sender):
    base = f"/api/v1/connections/{sender.connection.pk}"
    deployment = {
        "id": "d1",
        "repo_url": "https://github.com/acme/api",
        "commit_sha": "a" * 40,
        "start_time": "2024-03-01T12:00:00Z",
        "end_time": "2024-03-01T12:05:00Z",
    }
    incident = {
        "issue_key": "INC-1",
        "title": "down",
        "type": "INCIDENT",
        "status": "TODO",
        "created_date": "2024-03-01T13:00:00Z",
    }
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {sender.token}", "secure": True}
    deployed = api.post(f"{base}/deployments", json.dumps(deployment), "application/json", **auth)
    reported = api.post(f"{base}/issues", json.dumps(incident), "application/json", **auth)
    client = Client()
    client.force_login(StaffFactory())
    slug = sender.connection.project.slug
    pages = dashboard_pages(slug, deployed.json()["id"], reported.json()["id"])

    for path in [*pages, "/accounts/login/"]:
        response = (client if path != "/accounts/login/" else Client()).get(path, secure=True)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        for directive in ("script-src", "style-src"):
            sources = re.search(rf"{directive} ([^;]*)", policy).group(1)
            assert "'unsafe-inline'" not in sources, path
            assert "'unsafe-eval'" not in sources, path
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert parser.blocked == [], (path, parser.blocked)


def test_an_api_token_never_opens_a_dashboard(production, sender):
    token = token_for(sender.connection)
    response = Client().get("/", secure=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 302
