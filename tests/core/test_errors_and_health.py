import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def deployments_url(sender):
    return f"/api/v1/connections/{sender.connection.pk}/deployments"


def test_malformed_json_names_line_and_column(api, sender):
    response = api.post(
        deployments_url(sender),
        data='{\n  "a": 1,\n}',
        content_type="application/json",
        **sender.auth,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_json"
    assert "line 3, column 1" in error["message"]


def test_oversized_body_is_413_in_the_error_shape(api, sender):
    with override_settings(DORAHUB_MAX_BODY_BYTES=1000):
        response = api.post(
            deployments_url(sender),
            data='{"x": "' + "a" * 2000 + '"}',
            content_type="application/json",
            **sender.auth,
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_unknown_api_route_is_json_404(api):
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "No such route."}}


def test_healthz_reports_database_and_eager_broker(api):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}


def test_openapi_schema_and_docs_are_served(api, staff_client):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/connections/{connection_id}/deployments" in schema.content
    assert api.get("/api/docs/").status_code == 200


def test_openapi_schema_generates_without_warnings():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "openapi: 3" in out.getvalue()
