import re

import pytest
from django.test import Client

from apps.connections.models import ApiToken
from tests.factories import (
    ApiTokenFactory,
    ConnectionFactory,
    ProjectFactory,
    StaffFactory,
    UserFactory,
)

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


def _change_form(connection, **settings):
    return {
        "name": connection.name,
        "slug": connection.slug,
        "project": connection.project_id,
        "kind": connection.kind,
        "is_active": "on",
        "tokens-TOTAL_FORMS": "0",
        "tokens-INITIAL_FORMS": "0",
        **{f"setting_{name}": value for name, value in settings.items()},
    }


def test_settings_are_a_form_of_the_kinds_own_fields_not_a_json_box(staff):
    cirrus = ConnectionFactory(kind="cirrus")
    page = staff.get(f"/admin/connections/connection/{cirrus.pk}/change/").content.decode()
    assert 'name="settings"' not in page
    assert "Deployment jobs" in page  # the label, with its help text
    assert "CI jobs whose type or name matches are deployments" in page
    assert 'name="setting_allow_unsigned"' in page
    assert 'name="setting_releases_are_deployments"' not in page  # a GitHub setting

    devlake = ConnectionFactory(kind="devlake")
    page = staff.get(f"/admin/connections/connection/{devlake.pk}/change/").content.decode()
    assert 'name="setting_incident_types"' in page
    assert 'name="setting_deployment_pattern"' not in page


def test_a_bad_setting_is_refused_next_to_its_field(staff):
    connection = ConnectionFactory(kind="cirrus")
    response = staff.post(
        f"/admin/connections/connection/{connection.pk}/change/",
        _change_form(connection, production_pattern="([bad", non_production_environment="STAGING"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not a valid regular expression" in page
    connection.refresh_from_db()
    assert "production_pattern" not in connection.settings


def test_settings_saved_from_the_form_are_what_the_services_read(staff):
    connection = ConnectionFactory(kind="devlake")
    response = staff.post(
        f"/admin/connections/connection/{connection.pk}/change/",
        _change_form(connection, incident_types="bug, outage"),
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.setting("incident_types") == ["bug", "outage"]


def test_the_link_window_is_typed_in_hours_or_days(staff):
    from datetime import timedelta

    from apps.connections.models import Project

    project = ProjectFactory()
    page = staff.get(f"/admin/connections/project/{project.pk}/change/").content.decode()
    assert "7 00:00:00" not in page
    assert 'name="incident_link_window_0" value="7"' in page
    response = staff.post(
        f"/admin/connections/project/{project.pk}/change/",
        {
            "name": project.name,
            "slug": project.slug,
            "time_zone": "UTC",
            "incident_link_window_0": "36",
            "incident_link_window_1": "hours",
        },
    )
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).incident_link_window == timedelta(hours=36)


def test_the_admin_offers_only_kinds_with_receivers(staff):
    page = staff.get("/admin/connections/connection/add/").content.decode()
    kinds = re.findall(
        r'<option value="([a-z]+)"', page.split('name="kind"')[1].split("</select>")[0]
    )
    assert "devlake" in kinds
    assert "github" in kinds
    assert "gitlab" in kinds  # added with their receivers (issue 19)
    assert "pagerduty" in kinds


def _with_token_rows(connection, rows):
    data = _change_form(connection)
    existing = list(connection.tokens.order_by("pk"))
    data.update(
        {
            "tokens-TOTAL_FORMS": str(len(existing) + len(rows)),
            "tokens-INITIAL_FORMS": str(len(existing)),
            "tokens-MIN_NUM_FORMS": "0",
            "tokens-MAX_NUM_FORMS": "1000",
        }
    )
    for i, token in enumerate(existing):
        data[f"tokens-{i}-id"] = str(token.pk)
        data[f"tokens-{i}-connection"] = str(connection.pk)
    for i, row in enumerate(rows, start=len(existing)):
        data.update({f"tokens-{i}-{key}": value for key, value in row.items()})
    return data


def test_a_token_named_with_an_expiry_is_issued_from_the_connection_page(staff):
    from datetime import timedelta

    from django.utils import timezone

    from tests.operations.admin_pages import token_on

    connection = ConnectionFactory()
    response = staff.post(
        f"/admin/connections/connection/{connection.pk}/change/",
        _with_token_rows(connection, [{"name": "ci-runner", "expires_in": "30"}]),
        follow=True,
    )
    page = response.content.decode()
    token = ApiToken.objects.get(connection=connection, name="ci-runner")
    shown = token_on(page)
    assert shown
    assert shown.startswith(token.prefix)
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    again = staff.get(f"/admin/connections/connection/{connection.pk}/change/").content.decode()
    assert shown not in again


def test_a_token_is_revoked_from_the_connection_page(staff):
    token = ApiTokenFactory()
    connection = token.connection
    data = _with_token_rows(connection, [])
    data["tokens-0-revoke"] = "on"
    response = staff.post(f"/admin/connections/connection/{connection.pk}/change/", data)
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = Client().post(
        f"/api/rest/plugins/webhook/{connection.pk}/deployments",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token.plaintext}",
    )
    assert refused.status_code == 401


def test_allstacks_service_names_are_typed_one_per_line(staff):
    connection = ConnectionFactory(kind="allstacks")
    response = staff.post(
        f"/admin/connections/connection/{connection.pk}/change/",
        _change_form(
            connection,
            allstacks_services="417: checkout\n418: search",
            non_production_environment="STAGING",
            deployment_pattern="(?i)deploy",
            production_pattern="(?i)prod",
        ),
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.setting("allstacks_services") == {"417": "checkout", "418": "search"}
