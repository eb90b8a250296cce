"""A project's incident link window changed in the admin: its incidents are linked again by the
new window and the figures follow, with no command to run."""

from datetime import timedelta

import pytest

from apps.issues.models import Issue
from apps.metrics.selectors import Scope, dora_report
from tests.factories import ConnectionFactory, ProjectFactory, StaffFactory
from tests.metrics import history as hist
from tests.metrics import reference as ref

pytestmark = pytest.mark.django_db

DEPLOYED = hist.ORIGIN + timedelta(days=5)


@pytest.fixture
def project():
    project = ProjectFactory(slug="shop", time_zone="UTC", incident_link_window=timedelta(days=1))
    connection = ConnectionFactory(project=project)
    hist.write(connection, ref.Deployment("d1", DEPLOYED, ("a" * 40,)))
    hist.write(
        connection,
        ref.Incident(
            key="INC-1",
            created_at=DEPLOYED + timedelta(days=2),
            resolved_at=DEPLOYED + timedelta(days=2, hours=3),
            caused_by="",
            person=None,
        ),
    )
    return project


def change_failure_rate(project) -> float | None:
    scope = Scope(project=project, since=hist.SINCE, until=hist.UNTIL)
    return dora_report(scope=scope, interval=None).figures.change_failure_rate.rate


def test_a_wider_link_window_links_the_incident_and_moves_the_rate(
    client, project, django_capture_on_commit_callbacks
):
    assert Issue.objects.get(issue_key="INC-1").deployment is None
    assert change_failure_rate(project) == 0.0
    client.force_login(StaffFactory())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/connections/project/{project.pk}/change/",
            {
                "name": project.name,
                "slug": project.slug,
                "time_zone": "UTC",
                "incident_link_window_0": "3",
                "incident_link_window_1": "days",
            },
            follow=True,
        )

    assert response.status_code == 200
    assert "decided again with the new window" in response.content.decode()
    assert Issue.objects.get(issue_key="INC-1").deployment.external_id == "d1"
    assert change_failure_rate(project) == 1.0


def test_saving_without_changing_the_window_decides_nothing_again(
    client, project, django_capture_on_commit_callbacks
):
    client.force_login(StaffFactory())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(
            f"/admin/connections/project/{project.pk}/change/",
            {
                "name": "Shop renamed",
                "slug": project.slug,
                "time_zone": "UTC",
                "incident_link_window_0": "1",
                "incident_link_window_1": "days",
            },
        )
    assert callbacks == []
    assert Issue.objects.get(issue_key="INC-1").deployment is None
