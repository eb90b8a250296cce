import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.connections import tokens
from apps.connections.models import ApiToken, Connection, Project

pytestmark = pytest.mark.django_db


def test_json_output_is_exactly_one_object_with_a_working_token(api):
    out = StringIO()
    call_command(
        "create_connection",
        "--project",
        "shop",
        "--name",
        "ci",
        "--kind",
        "devlake",
        "--json",
        stdout=out,
    )
    payload = json.loads(out.getvalue())

    assert set(payload) == {"id", "name", "project", "token"}
    assert payload["name"] == "ci"
    assert payload["project"] == "shop"
    connection = Connection.objects.get(pk=payload["id"])
    assert connection.project.slug == "shop"
    token = ApiToken.objects.get(connection=connection)
    assert tokens.matches(payload["token"], token.digest)
    response = api.get("/api/v1/deployments", HTTP_AUTHORIZATION=f"Bearer {payload['token']}")
    assert response.status_code == 200


def test_project_is_reused_and_secret_is_stored_encrypted():
    Project.objects.create(name="Shop", slug="shop")
    call_command(
        "create_connection",
        "--project",
        "shop",
        "--name",
        "cirrus",
        "--kind",
        "cirrus",
        "--secret",
        "s3cret",
        "--json",
        stdout=StringIO(),
    )
    connection = Connection.objects.get(name="cirrus")
    assert Project.objects.count() == 1
    assert "s3cret" not in connection.signing_secret_encrypted
    assert connection.get_signing_secret() == "s3cret"


def test_unknown_kind_is_refused():
    with pytest.raises(CommandError):
        call_command("create_connection", "--project", "p", "--name", "x", "--kind", "jenkins")


def test_invalid_settings_are_refused_and_nothing_is_created():
    with pytest.raises(CommandError):
        call_command(
            "create_connection",
            "--project",
            "p",
            "--name",
            "x",
            "--kind",
            "devlake",
            "--connection-settings",
            '{"deployment_pattern": "(unclosed"}',
        )
    assert not Connection.objects.exists()
