"""The metrics API runs a number of queries that depends on the time zones of the projects asked
for, never on how many projects there are or how much data they hold, whether their figures come
from snapshots, from the rows, or from both."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.marks.services import mark_dirty_days
from apps.metrics.selectors.sources import MAX_MARKED_DAYS
from apps.metrics.services import recompute_dirty
from tests.factories import ConnectionFactory, ProjectFactory
from tests.metrics import history as hist
from tests.metrics import reference as ref

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics/dora"
PROJECTS_URL = "/api/v1/metrics/dora/projects"
MARCH = {"since": "2024-03-01", "until": "2024-04-01"}
NOON = datetime(2024, 3, 5, 12, tzinfo=UTC)
TIME_ZONES = ("UTC", "Europe/Berlin", "America/New_York")
STATES = ("clean", "fresh delivery", "many marked days")
# Per time zone: the marks, the stale snapshots, the marked days, the snapshot counts, the
# counts of marked days and of projects counted from the rows, three lead time sources, and the
# restore times; plus the session, the user and the projects.
PER_TIME_ZONE = 11
BASE = 3


def add_projects(count: int, start: int = 0) -> list[str]:
    """Projects in three time zones, each with deployments, changes and an incident, and their
    snapshots rebuilt."""
    slugs = []
    for index in range(start, start + count):
        project = ProjectFactory(slug=f"team-{index}", time_zone=TIME_ZONES[index % 3])
        writer = ConnectionFactory(project=project)
        for day in range(4):
            sha = f"{index:04d}{day:036d}"
            hist.write(writer, ref.Change(sha, NOON + timedelta(days=day, hours=-3)))
            hist.write(writer, ref.Deployment(f"d{day}", NOON + timedelta(days=day), (sha,)))
        incident = ref.Incident("INC-1", NOON + timedelta(hours=1), NOON + timedelta(hours=2))
        hist.write(writer, incident)
        slugs.append(project.slug)
    recompute_dirty()
    return slugs


def set_states(slugs: list[str], round_: int = 0) -> None:
    """In every time zone, some projects clean, some with a fresh delivery (a few marked days),
    some with many marked days."""
    for index, slug in enumerate(slugs):
        state = STATES[(index // 3) % 3]
        project = ProjectFactory(slug=slug)
        if state == "fresh delivery":
            writer = project.connections.first()
            fresh = ref.Deployment(f"fresh-{round_}", NOON + timedelta(days=9), ("f" * 40,))
            hist.write(writer, fresh)
        elif state == "many marked days":
            days = [date(2024, 1, 1) + timedelta(days=n) for n in range(MAX_MARKED_DAYS + 1)]
            mark_dirty_days(project_id=project.pk, environment="PRODUCTION", days=days)


def queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_projects_endpoint_costs_the_same_for_nine_projects_as_for_eighteen(staff_client):
    first = add_projects(9)
    set_states(first)
    nine = queries(staff_client, PROJECTS_URL, MARCH)

    second = add_projects(9, start=9)  # rebuilds the first nine too
    set_states(first + second, round_=1)
    eighteen = queries(staff_client, PROJECTS_URL, MARCH)

    assert eighteen == nine
    assert nine <= BASE + PER_TIME_ZONE * len(TIME_ZONES)


@pytest.mark.parametrize("state", STATES)
def test_one_projects_report_stays_within_its_budget_whatever_its_state(
    staff_client, django_assert_max_num_queries, state
):
    slugs = add_projects(9)
    set_states(slugs)
    slug = slugs[3 * STATES.index(state)]

    with django_assert_max_num_queries(BASE + 2 * PER_TIME_ZONE):
        response = staff_client.get(URL, {"project": slug, **MARCH, "interval": "week"})

    assert response.status_code == 200
    assert response.json()["scope"]["source"] == ("snapshots" if state == "clean" else "live")
    fresh = state == "fresh delivery"
    assert response.json()["deployment_frequency"]["deployments"] == 4 + fresh
