"""An empty project page waits for its first delivery, naming the connection's route, and
becomes the dashboard when one arrives; its admins keep seeing the last delivery there."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import ConnectionFactory, StaffFactory, UserFactory, token_for

pytestmark = pytest.mark.django_db


def deliver(client: Client, connection, token: str) -> int:
    return client.post(
        f"/api/rest/plugins/webhook/{connection.pk}/deployments",
        {
            "repo_url": "https://github.com/acme/shop",
            "commit_sha": "abc123",
            "start_time": timezone.now().isoformat(),
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).status_code


@pytest.mark.parametrize("make_user", [UserFactory, StaffFactory])
def test_an_empty_project_page_waits_for_the_first_delivery_on_its_route(client, make_user):
    connection = ConnectionFactory(kind="devlake", project__slug="shop")
    client.force_login(make_user())
    page = client.get("/projects/shop/").content.decode()
    assert "Waiting for the first delivery" in page
    assert f"/api/rest/plugins/webhook/{connection.pk}/deployments" in page
    assert "data-reload-on-change" in page
    assert "No deployments in this period" not in page


def test_the_poll_changes_when_a_delivery_arrives_and_the_page_becomes_the_dashboard(client):
    connection = ConnectionFactory(kind="devlake", project__slug="shop")
    client.force_login(UserFactory())
    before = client.get("/projects/shop/deliveries/").json()["state"]

    assert deliver(Client(), connection, token_for(connection)) in (200, 201)

    after = client.get("/projects/shop/deliveries/").json()
    assert after["state"] != before
    page = client.get("/projects/shop/").content.decode()
    assert "Waiting for the first delivery" not in page
    assert 'data-metric="deployment_frequency"' in page
    assert "data-poll-url" not in page  # not staff: once data is there, only the dashboard


def test_the_projects_admins_see_the_last_delivery_with_its_error(client):
    connection = ConnectionFactory(kind="devlake", project__slug="shop")
    token = token_for(connection)
    deliver(Client(), connection, token)
    Client().post(
        f"/api/rest/plugins/webhook/{connection.pk}/deployments",
        '{"commit_sha": "abc"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    client.force_login(StaffFactory())
    page = client.get("/projects/shop/").content.decode()
    assert "Rejected (400)" in page
    assert 'data-field="error"' in page
    assert '<span data-count="accepted">1 accepted</span>' in page
    assert f"connection__project__id__exact={connection.project_id}" in page
    inbox = client.get(
        f"/admin/ingest/delivery/?connection__project__id__exact={connection.project_id}"
    )
    assert inbox.status_code == 200
    assert len(inbox.context["cl"].result_list) == 2


def test_the_poll_costs_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(3):
        ConnectionFactory(project__slug="shop")
    client.force_login(StaffFactory())
    with django_assert_max_num_queries(9):
        assert client.get("/projects/shop/deliveries/").status_code == 200
