"""Admin pages for the data: a wrong record is found by search and filters, corrected or
deleted through the services (days marked dirty, figures move), with an admin log entry; people
who are not staff cannot reach them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.test import Client
from django.utils import timezone

from apps.deployments.changes import CommitRef
from apps.deployments.models import Deployment
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.issues.models import Issue
from apps.marks.models import DirtyDay
from apps.metrics.selectors import Scope, dora_report
from apps.metrics.services import recompute_dirty
from tests.factories import (
    CommitFactory,
    ConnectionFactory,
    DeploymentFactory,
    IssueFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DATA_PAGES = [
    "/admin/deployments/deployment/",
    "/admin/deployments/commit/",
    "/admin/issues/issue/",
    "/admin/ci/pipeline/",
    "/admin/ci/job/",
    "/admin/events/lifecycleevent/",
]


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(StaffFactory())
    return client


def deploy(connection, *, sha: str, when: datetime, environment: str = "PRODUCTION"):
    return upsert_deployment(
        connection=connection,
        data=DeploymentData(
            finished_at=when,
            started_at=when - timedelta(minutes=5),
            environment=environment,
            repo_url="https://github.com/acme/shop",
            commits=[CommitRef(sha=sha, repo_url="https://github.com/acme/shop")],
        ),
    ).deployment


def production_deployments(project) -> int:
    today = timezone.localdate()
    scope = Scope(
        project=project, since=today - timedelta(days=30), until=today + timedelta(days=1)
    )
    return dora_report(scope=scope).figures.deployment_frequency.deployments


def change_form(deployment: Deployment, **values: str) -> dict[str, str]:
    local = timezone.localtime(deployment.finished_at)
    started = timezone.localtime(deployment.started_at)
    return {
        "name": deployment.name,
        "environment": deployment.environment,
        "result": deployment.result,
        "service": deployment.service,
        "started_at_0": started.strftime("%Y-%m-%d"),
        "started_at_1": started.strftime("%H:%M:%S"),
        "finished_at_0": local.strftime("%Y-%m-%d"),
        "finished_at_1": local.strftime("%H:%M:%S"),
        "deployment_commits-TOTAL_FORMS": "0",
        "deployment_commits-INITIAL_FORMS": "0",
        **values,
    }


@pytest.mark.parametrize("url", DATA_PAGES)
def test_data_pages_render_for_staff(staff, url):
    DeploymentFactory()
    assert staff.get(url).status_code == 200


@pytest.mark.parametrize("url", DATA_PAGES)
def test_people_who_are_not_staff_cannot_reach_the_data_pages(client, url):
    deployment = DeploymentFactory()
    client.force_login(UserFactory())
    assert client.get(url).status_code == 302
    detail = client.get(f"/admin/deployments/deployment/{deployment.pk}/change/")
    assert detail.status_code == 302
    assert "/admin/login/" in detail["Location"]


def test_deployments_are_found_by_search_and_filters(staff):
    shop = ConnectionFactory(project__slug="shop")
    other = ConnectionFactory(project__slug="other")
    wanted = DeploymentFactory(connection=shop, name="release v1.4.2", service="checkout")
    DeploymentFactory(connection=shop, name="release v1.4.3", service="search")
    DeploymentFactory(connection=shop, name="staging v1.4.2", environment="STAGING")
    DeploymentFactory(connection=other, name="release v1.4.2", service="checkout")
    DeploymentFactory(
        connection=shop,
        name="old release v1.4.2",
        service="checkout",
        finished_at=datetime(2020, 1, 1, tzinfo=UTC),
    )

    def names(query: str) -> set[str]:
        response = staff.get(f"/admin/deployments/deployment/?{query}")
        return {d.name for d in response.context["cl"].result_list}

    assert names("q=v1.4.2") == {"release v1.4.2", "staging v1.4.2", "old release v1.4.2"}
    in_shop = f"project__id__exact={shop.project_id}"
    assert names(f"q=v1.4.2&{in_shop}&environment__exact=PRODUCTION&service=checkout") == {
        "release v1.4.2",
        "old release v1.4.2",
    }
    assert names(f"connection__id__exact={other.pk}") == {"release v1.4.2"}
    when = wanted.finished_at
    year = f"finished_at__year={when.year}&finished_at__month={when.month}"
    assert "old release v1.4.2" not in names(f"{in_shop}&{year}")


def test_correcting_a_deployments_environment_moves_the_figures_and_is_logged(
    staff, django_capture_on_commit_callbacks
):
    connection = ConnectionFactory()
    deployment = deploy(connection, sha="a1", when=timezone.now() - timedelta(days=2))
    recompute_dirty()
    assert production_deployments(connection.project) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/admin/deployments/deployment/{deployment.pk}/change/",
            change_form(deployment, environment="STAGING"),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    recompute_dirty()

    assert Deployment.objects.get(pk=deployment.pk).environment == "STAGING"
    assert production_deployments(connection.project) == 0
    entry = LogEntry.objects.get(object_id=str(deployment.pk), action_flag=CHANGE)
    assert "Environment" in entry.get_change_message()


def test_a_correction_marks_the_days_before_and_after(staff):
    connection = ConnectionFactory()
    deployment = deploy(connection, sha="a1", when=timezone.now() - timedelta(days=5))
    DirtyDay.objects.all().delete()
    new_time = timezone.localtime(timezone.now() - timedelta(days=1))

    staff.post(
        f"/admin/deployments/deployment/{deployment.pk}/change/",
        change_form(
            deployment,
            finished_at_0=new_time.strftime("%Y-%m-%d"),
            finished_at_1=new_time.strftime("%H:%M:%S"),
        ),
    )
    days = set(DirtyDay.objects.values_list("day", flat=True))
    assert deployment.finished_at.date() in days
    assert new_time.date() in days


def test_deleting_a_deployment_moves_the_figures_and_is_logged(
    staff, django_capture_on_commit_callbacks
):
    connection = ConnectionFactory()
    kept = deploy(connection, sha="a1", when=timezone.now() - timedelta(days=3))
    wrong = deploy(connection, sha="b2", when=timezone.now() - timedelta(days=2))
    recompute_dirty()
    assert production_deployments(connection.project) == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/admin/deployments/deployment/{wrong.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    recompute_dirty()

    assert list(Deployment.objects.values_list("pk", flat=True)) == [kept.pk]
    assert production_deployments(connection.project) == 1
    assert LogEntry.objects.filter(object_id=str(wrong.pk), action_flag=DELETION).exists()


def test_a_deployment_page_shows_its_commits_and_links(staff):
    deployment = DeploymentFactory()
    commit = CommitFactory(project=deployment.project, sha="feedbeef" * 5)
    deployment.deployment_commits.create(commit=commit)
    page = staff.get(f"/admin/deployments/deployment/{deployment.pk}/change/").content.decode()
    assert "feedbeeffeed" in page
    assert f"/admin/deployments/commit/{commit.pk}/change/" in page
    assert f"/projects/{deployment.project.slug}/deployments/{deployment.pk}/" in page


def test_an_incident_is_found_corrected_and_logged(staff):
    incident = IssueFactory(is_incident=True, title="Checkout 500", status="TODO")
    found = staff.get("/admin/issues/issue/?q=Checkout&is_incident__exact=1")
    assert [i.pk for i in found.context["cl"].result_list] == [incident.pk]
    created = timezone.localtime(incident.created_at)
    response = staff.post(
        f"/admin/issues/issue/{incident.pk}/change/",
        {
            "title": "Checkout 500",
            "status": "DONE",
            "is_incident": "on",
            "severity": "",
            "priority": "",
            "service": "checkout",
            "created_at_0": created.strftime("%Y-%m-%d"),
            "created_at_1": created.strftime("%H:%M:%S"),
            "resolved_at_0": created.strftime("%Y-%m-%d"),
            "resolved_at_1": (created + timedelta(hours=1)).strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    incident = Issue.objects.get(pk=incident.pk)
    assert incident.status == "DONE"
    assert incident.service == "checkout"
    assert LogEntry.objects.filter(object_id=str(incident.pk), action_flag=CHANGE).exists()
