"""People correct the attribution (METRICS.md, linking rule 0): a person's link, "not caused by
a deployment" and rollback/hotfix marks move the figures, win over recomputes and re-posted
payloads, are audited, can be withdrawn, and need a permission."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from apps.deployments.models import Deployment
from apps.issues.models import AttributionDecision, Issue, LinkMethod
from apps.marks.models import DirtyDay
from apps.metrics.selectors import Scope, dora_report
from tests.factories import DeploymentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = UserFactory(username="lead")
    user.user_permissions.add(Permission.objects.get(codename="change_attribution"))
    client.force_login(user)
    return client


def _figures(project):
    today = timezone.localdate()
    return dora_report(
        scope=Scope(
            project=project, since=today - timedelta(days=30), until=today + timedelta(days=1)
        )
    ).figures


def _post_incident(api, sender, **fields):
    body = {
        "issue_key": "INC-1",
        "title": "Checkout down",
        "type": "INCIDENT",
        "status": "DONE",
        "created_date": (timezone.now() - timedelta(days=2)).isoformat(),
        "resolution_date": (timezone.now() - timedelta(days=2) + timedelta(hours=1)).isoformat(),
        **fields,
    }
    response = api.post(
        f"/api/v1/connections/{sender.connection.pk}/issues",
        data=body,
        format="json",
        **sender.auth,
    )
    assert response.status_code in (200, 201), response.content
    return Issue.objects.get(issue_key=body["issue_key"])


@pytest.fixture
def api(api, django_capture_on_commit_callbacks):
    """Posts run their follow-ups (linking), as the worker would after the commit."""

    class Posting:
        def post(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return api.post(*args, **kwargs)

    return Posting()


@pytest.fixture
def two_deployments(sender):
    now = timezone.now()
    early = DeploymentFactory(
        connection=sender.connection, external_id="early", finished_at=now - timedelta(days=5)
    )
    late = DeploymentFactory(
        connection=sender.connection, external_id="late", finished_at=now - timedelta(days=3)
    )
    return early, late


def test_a_persons_link_moves_the_figure_and_survives_recompute_and_a_repost(
    manager, api, sender, two_deployments
):
    early, late = two_deployments
    incident = _post_incident(api, sender)
    assert incident.deployment == late  # the link window picked the latest one
    DirtyDay.objects.all().delete()

    response = manager.post(
        f"/projects/{sender.connection.project.slug}/incidents/{incident.pk}/attribution/",
        {"decision": "link", "deployment": early.pk, "reason": "the migration in early broke it"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.deployment, incident.link_method) == (early, LinkMethod.PERSON)
    assert DirtyDay.objects.filter(project=sender.connection.project).exists()
    failed = Deployment.objects.filter(incidents__isnull=False)
    assert list(failed) == [early]

    call_command("recompute_metrics", "--all", stdout=StringIO())
    _post_incident(api, sender, title="Checkout down (updated)")
    incident.refresh_from_db()
    assert incident.deployment == early
    assert incident.title == "Checkout down (updated)"

    decision = AttributionDecision.objects.get()
    assert decision.decided_by.username == "lead"
    assert decision.reason == "the migration in early broke it"
    page = manager.get(f"/projects/{sender.connection.project.slug}/deployments/{early.pk}/")
    assert "the migration in early broke it" in page.content.decode()


def test_not_caused_by_a_deployment_leaves_the_rate_until_withdrawn(
    manager, api, sender, two_deployments
):
    project = sender.connection.project
    incident = _post_incident(api, sender)
    assert _figures(project).change_failure_rate.failed_deployments == 1

    manager.post(
        f"/projects/{project.slug}/incidents/{incident.pk}/attribution/",
        {"decision": "not_caused", "reason": "a provider outage"},
    )
    incident.refresh_from_db()
    assert incident.deployment is None
    assert incident.link_method == LinkMethod.PERSON
    assert _figures(project).change_failure_rate.failed_deployments == 0
    call_command("recompute_metrics", "--all", stdout=StringIO())
    assert _figures(project).change_failure_rate.failed_deployments == 0

    decision = AttributionDecision.objects.get()
    manager.post(f"/projects/{project.slug}/decisions/{decision.pk}/withdraw/", {"reason": "oops"})
    decision.refresh_from_db()
    assert decision.withdrawn_by.username == "lead"
    assert decision.withdraw_reason == "oops"
    incident.refresh_from_db()
    assert incident.link_method == LinkMethod.WINDOW
    assert _figures(project).change_failure_rate.failed_deployments == 1


def test_a_rollback_mark_makes_rework_and_fails_the_deployment_before_it(
    manager, sender, two_deployments
):
    early, late = two_deployments
    project = sender.connection.project
    before = _figures(project)
    assert before.rework_rate.rework_deployments == 0

    manager.post(
        f"/projects/{project.slug}/deployments/{late.pk}/attribution/",
        {"action": "rollback", "reason": "late reverted early by hand"},
    )
    after = _figures(project)
    assert after.rework_rate.rework_deployments == 1
    assert after.change_failure_rate.failed_deployments == 1
    assert list(late.remediates.all()) == [early]
    call_command("recompute_metrics", "--all", stdout=StringIO())
    assert _figures(project).rework_rate.rework_deployments == 1

    manager.post(
        f"/projects/{project.slug}/deployments/{late.pk}/attribution/",
        {"action": "not_rework", "reason": "it was a planned release after all"},
    )
    assert _figures(project).rework_rate.rework_deployments == 0
    assert _figures(project).change_failure_rate.failed_deployments == 0
    decisions = AttributionDecision.objects.order_by("decided_at", "pk")
    assert [d.action for d in decisions] == ["rollback", "not_rework"]
    assert decisions[0].withdrawn_at is not None  # superseded, still in the trail


def test_a_flag_sent_by_the_deploy_job_is_undone_by_a_persons_mark(manager, api, sender):
    now = timezone.now()
    DeploymentFactory(
        connection=sender.connection, external_id="a", finished_at=now - timedelta(days=4)
    )
    hotfix = DeploymentFactory(
        connection=sender.connection,
        external_id="b",
        is_hotfix=True,
        finished_at=now - timedelta(days=3),
    )
    call_command("recompute_metrics", "--all", stdout=StringIO())
    project = sender.connection.project
    assert _figures(project).rework_rate.rework_deployments == 1
    manager.post(
        f"/projects/{project.slug}/deployments/{hotfix.pk}/attribution/",
        {"action": "not_rework", "reason": "mislabelled by the pipeline"},
    )
    call_command("recompute_metrics", "--all", stdout=StringIO())
    assert _figures(project).rework_rate.rework_deployments == 0


def test_without_the_permission_attribution_is_read_only(client, api, sender, two_deployments):
    client.force_login(UserFactory())
    incident = _post_incident(api, sender)
    slug = sender.connection.project.slug
    page = client.get(f"/projects/{slug}/incidents/{incident.pk}/").content.decode()
    assert "Correct the attribution" not in page
    assert "correct attribution” permission" in page
    response = client.post(
        f"/projects/{slug}/incidents/{incident.pk}/attribution/",
        {"decision": "not_caused", "reason": "x"},
    )
    assert response.status_code == 403
    assert not AttributionDecision.objects.exists()


def test_a_decision_needs_a_reason(manager, api, sender, two_deployments):
    incident = _post_incident(api, sender)
    slug = sender.connection.project.slug
    manager.post(
        f"/projects/{slug}/incidents/{incident.pk}/attribution/",
        {"decision": "not_caused", "reason": ""},
    )
    assert not AttributionDecision.objects.exists()
    incident.refresh_from_db()
    assert incident.link_method == LinkMethod.WINDOW
