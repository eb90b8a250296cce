"""Swagger's "Try it out" on the webhook routes: the generated OpenAPI schema declares, per route,
the credentials the route really reads (its receiver's declared authentication), so a request
built from the schema alone authenticates, and one without them does not."""

import time

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from apps.core.signatures import hmac_sha256_base64, hmac_sha256_hex
from apps.integrations.incidentio.receivers import signing_key
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

SECRET = "schema-secret"
BODY = b"{}"
NOW = str(int(time.time()))
# The signature headers a scheme may name, and how a person computes each for a body.
SIGNATURES = {
    "X-Hub-Signature-256": lambda body: "sha256=" + hmac_sha256_hex(secret=SECRET, body=body),
    "X-Hub-Signature": lambda body: "sha256=" + hmac_sha256_hex(secret=SECRET, body=body),
    "X-Cirrus-Signature": lambda body: hmac_sha256_hex(secret=SECRET, body=body),
    "X-PagerDuty-Signature": lambda body: "v1=" + hmac_sha256_hex(secret=SECRET, body=body),
    "X-Gitlab-Token": lambda body: SECRET,
    "webhook-signature": lambda body: (
        "v1," + hmac_sha256_base64(key=signing_key(SECRET), body=f"msg_1.{NOW}.".encode() + body)
    ),
}
# Headers the receivers dispatch on or sign with; each route's description names them.
EVENT_HEADERS = {
    "X-GitHub-Event": "ping",
    "X-Gitlab-Event": "System Hook",
    "X-Cirrus-Event": "task",
    "X-GitHub-Delivery": "d-1",
    "webhook-id": "msg_1",
    "webhook-timestamp": NOW,
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def ingestion_operations(schema) -> list[tuple[str, dict]]:
    return [
        (path, operation)
        for path, methods in schema["paths"].items()
        for operation in methods.values()
        if "ingestion" in operation.get("tags", [])
    ]


def test_every_webhook_route_declares_credentials_defined_in_the_schema(schema):
    schemes = schema["components"]["securitySchemes"]
    operations = ingestion_operations(schema)

    assert len(operations) >= 17
    for path, operation in operations:
        assert operation.get("security"), path
        for requirement in operation["security"]:
            assert requirement, f"{path} allows anonymous calls"
            assert set(requirement) <= set(schemes), path


def request_for(path: str, requirement: dict, schemes: dict, *, connection, token: str):
    url = (
        path.replace("{connection_id}", str(connection.pk))
        .replace("{connection_name}", connection.name)
        .replace("{issue_key}", "INC-1")
        .replace("{provider}", "cli")
        .replace("{project_name}", connection.project.slug)
        .replace("{company_id}", "acme")
    )
    headers = {
        f"HTTP_{name.upper().replace('-', '_')}": value for name, value in EVENT_HEADERS.items()
    }
    query = {}
    for name in requirement:
        scheme = schemes[name]
        if scheme["type"] == "http":
            assert scheme["scheme"] == "bearer"
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        elif scheme["in"] == "query":
            query[scheme["name"]] = token
        elif scheme["name"] in SIGNATURES:
            headers[f"HTTP_{scheme['name'].upper().replace('-', '_')}"] = SIGNATURES[
                scheme["name"]
            ](BODY)
        else:
            assert scheme["name"] == "X-Api-Key", scheme
            headers["HTTP_X_API_KEY"] = token
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url, headers


def test_a_request_built_from_each_declared_requirement_authenticates(schema):
    schemes = schema["components"]["securitySchemes"]
    signed = ConnectionFactory(name="signed", secret=SECRET)
    unsigned = ConnectionFactory(name="unsigned")
    tokens = {signed.pk: token_for(signed), unsigned.pk: token_for(unsigned)}
    tried = 0

    for path, operation in ingestion_operations(schema):
        for requirement in operation["security"]:
            # A signature needs the connection's secret; a token alone is what a connection
            # without one takes.
            has_signature = any(schemes[name].get("name") in SIGNATURES for name in requirement)
            connection = signed if has_signature else unsigned
            url, headers = request_for(
                path, requirement, schemes, connection=connection, token=tokens[connection.pk]
            )

            response = Client().post(url, data=BODY, content_type="application/json", **headers)

            assert response.status_code not in (401, 403), (path, requirement, response.content)
            tried += 1
    assert tried >= 50


def test_a_request_without_the_declared_credentials_is_refused(schema):
    connection = ConnectionFactory(name="anyone", secret=SECRET)
    for path, _ in ingestion_operations(schema):
        url, headers = request_for(path, {}, {}, connection=connection, token="")

        response = Client().post(url, data=BODY, content_type="application/json", **headers)

        assert response.status_code == 401, (path, response.content)
