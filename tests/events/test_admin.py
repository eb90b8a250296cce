"""Triggers and their delivery log in the admin."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.test import Client

from apps.events.models import LifecycleEvent, Trigger, TriggerDelivery
from apps.events.services import record_event
from tests.events.conftest import make_trigger
from tests.factories import ConnectionFactory, ProjectFactory, StaffFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/events/trigger/",
    "/admin/events/trigger/add/",
    "/admin/events/triggerdelivery/",
    "/admin/events/lifecycleevent/",
]


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def failed_delivery(hook_server, django_capture_on_commit_callbacks):
    make_trigger(hook_server.url, "*:*:build.failed")
    hook_server.statuses = [410]
    with django_capture_on_commit_callbacks(execute=True):
        record_event(
            connection=ConnectionFactory(kind="cirrus"),
            repo="acme/api",
            event="build.failed",
            occurred_at=None,
            data={"build": "1"},
        )
    return TriggerDelivery.objects.get()


@pytest.mark.parametrize("url", PAGES)
def test_admin_pages_render(staff, failed_delivery, url):
    assert staff.get(url).status_code == 200


def test_the_delivery_page_shows_its_attempts(staff, failed_delivery):
    page = staff.get(f"/admin/events/triggerdelivery/{failed_delivery.pk}/change/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "HTTP 410" in text
    assert str(failed_delivery.uuid) in text


def test_creating_a_trigger_without_a_secret_generates_one_shown_once(staff):
    project = ProjectFactory()
    response = staff.post(
        "/admin/events/trigger/add/",
        {
            "name": "approvals",
            "project": project.pk,
            "patterns": "*:*:build.needs_approval\r\ngithub:acme/*:pull_request.merged\r\n",
            "url": "https://chat.example.com/hooks/approvals",
            "is_active": "on",
            "description": "",
            "new_secret": "",
        },
        follow=True,
    )

    trigger = Trigger.objects.get()
    assert trigger.project == project
    assert trigger.patterns == ["*:*:build.needs_approval", "github:acme/*:pull_request.merged"]
    shown = response.content.decode().split("<code>")[1].split("</code>")[0]
    assert trigger.get_secret() == shown
    again = staff.get(f"/admin/events/trigger/{trigger.pk}/change/").content.decode()
    assert shown not in again


def test_a_trigger_with_a_bad_pattern_or_a_metadata_url_is_not_saved(staff):
    response = staff.post(
        "/admin/events/trigger/add/",
        {
            "name": "evil",
            "patterns": "*:*:build.needs_aproval",
            "url": "http://169.254.169.254/latest/meta-data/",
            "is_active": "on",
            "new_secret": "s",
        },
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "unknown event" in text
    assert "cloud metadata address" in text
    assert not Trigger.objects.exists()


@pytest.mark.parametrize(
    "scope",
    [{}, {"all_projects": "on", "project": "P"}, {"project": "P", "connections": "C"}],
    ids=["none", "project-and-installation-wide", "project-and-connections"],
)
def test_the_admin_asks_for_exactly_one_scope(staff, scope):
    connection = ConnectionFactory()
    values = {"P": connection.project.pk, "C": connection.pk}
    response = staff.post(
        "/admin/events/trigger/add/",
        {
            "name": "approvals",
            "patterns": "*:*:build.needs_approval",
            "url": "https://chat.example.com/hooks/approvals",
            "is_active": "on",
            **{key: values.get(value, value) for key, value in scope.items()},
        },
    )

    assert response.status_code == 200
    assert "Choose exactly one scope" in response.content.decode()
    assert not Trigger.objects.exists()


def test_setting_a_new_secret_replaces_the_old_one(staff, hook_server):
    trigger = make_trigger(hook_server.url, "*:*:push")
    staff.post(
        f"/admin/events/trigger/{trigger.pk}/change/",
        {
            "name": trigger.name,
            "patterns": "*:*:push",
            "url": trigger.url,
            "all_projects": "on",
            "is_active": "on",
            "new_secret": "rotated",
        },
    )
    trigger.refresh_from_db()
    assert trigger.get_secret() == "rotated"


def test_the_redeliver_action_sends_again_with_the_same_delivery_id(
    staff, failed_delivery, hook_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/events/triggerdelivery/",
            {"action": "redeliver_selected", "_selected_action": [failed_delivery.pk]},
            follow=True,
        )

    assert "Queued 1 deliveries" in response.content.decode()
    first, second = hook_server.received
    assert first.headers["X-DoraHub-Delivery"] == second.headers["X-DoraHub-Delivery"]
    failed_delivery.refresh_from_db()
    assert (failed_delivery.status, failed_delivery.attempts) == ("delivered", 2)


def test_a_lifecycle_event_recorded_by_mistake_is_deleted_with_an_audit_entry(staff):
    event = record_event(
        connection=ConnectionFactory(project=ProjectFactory()),
        repo="shop",
        event="build.failed",
        occurred_at=None,
        data={},
    )
    response = staff.post(f"/admin/events/lifecycleevent/{event.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not LifecycleEvent.objects.filter(pk=event.pk).exists()
    assert LogEntry.objects.get(action_flag=DELETION).object_id == str(event.pk)
