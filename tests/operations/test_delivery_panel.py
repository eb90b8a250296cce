"""The connection page confirms deliveries: the last one (when, route, result, the error of a
rejection), the last 24 hours by result, and a link to those deliveries in the inbox."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.deployments.models import Deployment
from apps.ingest.models import Delivery
from tests.factories import ConnectionFactory, StaffFactory, UserFactory, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(StaffFactory())
    return client


def deliveries(client: Client, connection) -> dict:
    response = client.get(f"/admin/connections/connection/{connection.pk}/deliveries/")
    assert response.status_code == 200
    return response.json()


def test_before_any_delivery_the_panel_waits_on_the_first_route(staff):
    connection = ConnectionFactory(kind="devlake")
    panel = deliveries(staff, connection)
    assert "Waiting for the first delivery" in panel["html"]
    assert f"/api/rest/plugins/webhook/{connection.pk}/deployments" in panel["html"]


def test_an_accepted_delivery_shows_when_its_route_and_result(staff, api):
    connection = ConnectionFactory(kind="devlake")
    before = deliveries(staff, connection)["state"]
    api.post(
        f"/api/rest/plugins/webhook/{connection.pk}/deployments",
        {
            "repo_url": "https://github.com/acme/shop",
            "commit_sha": "abc123",
            "start_time": timezone.now().isoformat(),
        },
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(connection)}",
    )
    panel = deliveries(staff, connection)
    assert panel["state"] != before
    assert "just now" in panel["html"]
    assert '<code data-field="route">devlake_deployments</code>' in panel["html"]
    assert "Accepted (200)" in panel["html"]  # DevLake's route answers 200
    assert '<span data-count="accepted">1 accepted</span>' in panel["html"]
    assert f"?connection__id__exact={connection.pk}" in panel["html"]


def test_a_rejected_delivery_shows_its_error(staff, api):
    connection = ConnectionFactory(kind="devlake")
    api.post(
        f"/api/rest/plugins/webhook/{connection.pk}/deployments",
        {
            "repo_url": "https://github.com/acme/shop",
            "commit_sha": "abc123",
            "start_time": "2026-01-01T12:00:00",
        },
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(connection)}",
    )
    html = deliveries(staff, connection)["html"]
    assert "Rejected (400)" in html
    assert 'data-field="error"' in html
    assert '<span data-count="rejected">1 rejected</span>' in html


def test_counts_cover_the_last_24_hours_only(staff):
    connection = ConnectionFactory()
    now = timezone.now()
    for hours_ago, status in ((1, "accepted"), (2, "duplicate"), (30, "accepted")):
        Delivery.objects.create(
            route="devlake_deployments",
            connection=connection,
            received_at=now - timedelta(hours=hours_ago),
            status=status,
            response_status=201,
        )
    html = deliveries(staff, connection)["html"]
    assert '<span data-count="accepted">1 accepted</span>' in html
    assert '<span data-count="duplicate">1 duplicate</span>' in html


def test_the_panel_costs_a_bounded_number_of_queries(staff, django_assert_max_num_queries):
    connection = ConnectionFactory()
    with django_assert_max_num_queries(8):
        deliveries(staff, connection)


def test_the_test_delivery_button_sends_the_first_example_through_the_inbox(staff):
    connection = ConnectionFactory(kind="devlake")
    response = staff.post(
        f"/admin/connections/connection/{connection.pk}/test-delivery/", follow=True
    )
    assert "Test delivery answered 200" in response.content.decode()  # DevLake's route
    assert Delivery.objects.get(connection=connection).status == "accepted"
    assert Deployment.objects.filter(connection=connection).count() == 1
    assert "Accepted (200)" in deliveries(staff, connection)["html"]


def test_non_staff_reach_neither_the_panel_nor_the_button(client):
    connection = ConnectionFactory()
    client.force_login(UserFactory())
    panel = client.get(f"/admin/connections/connection/{connection.pk}/deliveries/")
    button = client.post(f"/admin/connections/connection/{connection.pk}/test-delivery/")
    assert panel.status_code == 302
    assert button.status_code == 302
    assert not Delivery.objects.exists()
