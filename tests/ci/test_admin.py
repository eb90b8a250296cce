from datetime import timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry

from apps.ci.selectors import ci_health
from tests.ci.factories import JobFactory, PipelineFactory
from tests.factories import BASE_TIME, RepositoryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def rows():
    build = PipelineFactory(status="ON_HOLD", original_status="NEEDS_APPROVAL", name="Build A")
    JobFactory(connection=build.connection, pipeline=build, name="Lint", status="FAILURE")
    JobFactory(
        name="Production Deploy job",
        status="SUCCESS",
        repository=RepositoryFactory(url="https://github.com/acme/api"),
    )
    return build


@pytest.mark.parametrize(
    ("url", "shown", "hidden"),
    [
        ("/admin/ci/pipeline/?status__exact=ON_HOLD", "Build A", None),
        ("/admin/ci/pipeline/?status__exact=SUCCESS", None, "Build A"),
        ("/admin/ci/job/?status__exact=FAILURE", "Lint", "Production Deploy job"),
        ("/admin/ci/job/?q=Production", "Production Deploy job", "Lint"),
    ],
)
def test_staff_filter_builds_and_jobs(staff, rows, url, shown, hidden):
    response = staff.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    if shown:
        assert shown in page
    if hidden:
        assert hidden not in page


def test_filters_by_connection_and_repository_are_offered(staff, rows):
    page = staff.get("/admin/ci/job/").content.decode()
    assert "By connection" in page
    assert "By repository" in page
    assert (
        staff.get(f"/admin/ci/job/?connection__id__exact={rows.connection_id}").status_code == 200
    )


def test_a_build_page_shows_its_jobs_read_only(staff, rows):
    response = staff.get(f"/admin/ci/pipeline/{rows.pk}/change/")
    assert response.status_code == 200
    assert "Lint" in response.content.decode()
    assert staff.get("/admin/ci/pipeline/add/").status_code == 403


def test_a_wrong_build_deleted_in_the_admin_leaves_ci_health_with_an_audit_entry(staff, rows):
    window = {
        "project_id": rows.project_id,
        "since": BASE_TIME - timedelta(days=1),
        "until": BASE_TIME + timedelta(days=1),
    }
    assert ci_health(**window)["jobs"]["failed"] == 1

    response = staff.post(f"/admin/ci/pipeline/{rows.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert ci_health(**window)["jobs"]["failed"] == 0  # its jobs went with it
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.object_repr == str(rows)
