"""A new admin connects a source from the admin alone: the page issues the token, shows it
once inside a ready-to-paste example, and pasting that example shows on the dashboard."""

import subprocess
from urllib.parse import urlsplit

import pytest
from django.test import Client

from apps.connections.models import ApiToken
from apps.deployments.models import Deployment
from tests.dashboards.figures_html import figures as read_figures
from tests.factories import StaffFactory
from tests.operations.admin_pages import create_connection, create_project, example_on, token_on

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_client(live_server) -> Client:
    client = Client()
    client.force_login(StaffFactory())
    # The page builds its examples from the host it is served on: the live server's.
    client.dorahub_host = urlsplit(live_server.url).netloc
    return client


def run_as_pasted(command: str) -> str:
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def deployments_shown(page: str) -> float | None:
    """The count the project page shows (the page contract of docs/dashboards.md)."""
    shown = [figure.value for figure in read_figures(page) if figure.metric == "deployments"]
    assert shown, "no deployments figure on the page"
    return shown[0]


def test_the_first_example_as_shown_puts_one_deployment_on_the_project_page(admin_client):
    project = create_project(admin_client, name="Checkout", slug="checkout")
    connection, page = create_connection(
        admin_client, project=project, name="deploy-bot", kind="devlake"
    )

    token = token_on(page)
    assert token
    assert token.startswith("dh_")
    assert ApiToken.objects.get(connection=connection).prefix == token[:12]
    command = example_on(page, 1)
    assert token in command
    assert "$(date -u +%Y-%m-%dT%H:%M:%SZ)" in command

    answer = run_as_pasted(command)

    assert '"status"' in answer or "deployment" in answer, answer
    assert Deployment.objects.filter(connection=connection).count() == 1
    dashboard = admin_client.get(f"/projects/{project.slug}/").content.decode()
    assert deployments_shown(dashboard) == 1


def test_the_token_is_shown_once_only(admin_client):
    project = create_project(admin_client, name="Checkout", slug="checkout")
    connection, page = create_connection(
        admin_client, project=project, name="deploy-bot", kind="devlake"
    )
    token = token_on(page)
    assert token

    again = admin_client.get(f"/admin/connections/connection/{connection.pk}/change/")
    again_page = again.content.decode()
    assert token not in again_page
    assert token_on(again_page) is None
    assert "Bearer $DORAHUB_TOKEN" in example_on(again_page, 1)
