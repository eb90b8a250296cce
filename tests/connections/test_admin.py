import pytest
from django.test import Client

from apps.connections.models import ApiToken
from tests.factories import ApiTokenFactory, ConnectionFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/",
    "/admin/connections/project/",
    "/admin/connections/connection/",
    "/admin/connections/connection/add/",
    "/admin/connections/apitoken/",
    "/admin/connections/apitoken/add/",
    "/admin/ingest/delivery/",
]


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(StaffFactory())
    return client


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_render_for_staff(staff, url):
    ConnectionFactory()
    assert staff.get(url).status_code == 200


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_refuse_non_staff(client, url):
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_tokens_are_listed_by_prefix_never_in_full(staff):
    token = ApiTokenFactory()
    page = staff.get("/admin/connections/apitoken/").content.decode()
    assert token.prefix in page
    assert token.plaintext not in page


def test_creating_a_token_in_the_admin_shows_it_once(staff):
    connection = ConnectionFactory()
    response = staff.post(
        "/admin/connections/apitoken/add/",
        {"connection": connection.pk, "name": "deploy-bot", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    page = response.content.decode()
    token = ApiToken.objects.get(connection=connection, name="deploy-bot")
    shown = page.split("<code>")[1].split("</code>")[0]
    assert shown.startswith(token.prefix)
    again = staff.get(f"/admin/connections/apitoken/{token.pk}/change/").content.decode()
    assert shown not in again


def test_revoke_action_revokes(staff):
    token = ApiTokenFactory()
    staff.post(
        "/admin/connections/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_connection_settings_are_validated_in_the_admin(staff):
    connection = ConnectionFactory()
    response = staff.post(
        f"/admin/connections/connection/{connection.pk}/change/",
        {
            "name": connection.name,
            "slug": connection.slug,
            "project": connection.project_id,
            "kind": "devlake",
            "is_active": "on",
            "settings": '{"production_pattern": "([bad"}',
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "production_pattern" in response.content.decode()
