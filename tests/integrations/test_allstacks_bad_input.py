"""Each bad Allstacks delivery gets the error shape naming the field, stores no job or
deployment, and stays in the inbox marked rejected."""

import json

import pytest

from apps.ci.models import Job
from apps.ingest.models import Delivery
from tests.assertions import assert_rejected
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

REQUIRED = ["job_id", "commit_sha", "service_id", "job_start_time", "job_duration", "status"]


@pytest.fixture
def allstacks(db):
    connection = ConnectionFactory(kind="allstacks")
    return connection, token_for(connection)


@pytest.fixture
def valid(allstacks):
    connection, _ = allstacks
    return {
        "job_id": "deploy-7",
        "status": "Succeeded",
        "commit_sha": "a2e7da86cc392417b0d9f605b28038aae80b002f",
        "repo_name": "acme/api",
        "service_id": connection.pk,
        "job_start_time": 1704018030,
        "job_duration": 300,
    }


@pytest.fixture
def post(api, allstacks):
    def _post(body, token=None):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token or allstacks[1]}"}
        if token == "":
            headers = {}
        return api.post(
            "/webhook/company/1/cicd_job", data=data, content_type="application/json", **headers
        )

    return _post


def without(payload, key):
    return {k: v for k, v in payload.items() if k != key}


@pytest.mark.parametrize("field", REQUIRED)
def test_each_required_field_missing(post, valid, field):
    assert_rejected(post(without(valid, field)), field)


def test_repo_id_or_repo_name_is_required(post, valid):
    response = post(without(valid, "repo_name"))
    assert_rejected(response, "repo_id")
    assert "repo_name" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "sha",
    [
        "a2e7da86",  # short
        "a" * 41,
        "a" * 63,
        "g" * 40,  # not hex
        "a2e7da86cc392417b0d9f605b28038aae80b002 ",
        1234567890,
        "",
    ],
)
def test_commit_sha_must_be_40_or_64_hex_characters(post, valid, sha):
    assert_rejected(post(valid | {"commit_sha": sha}), "commit_sha")


@pytest.mark.parametrize(
    "status", ["Done", "SUCCESS", "", None, 1, "Cancelled", "On" + " " * 100 + "Hold"]
)
def test_unknown_status(post, valid, status):
    assert_rejected(post(valid | {"status": status}), "status")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("job_start_time", "yesterday"),
        ("job_start_time", -5),
        ("job_start_time", 1704018030000000),  # microseconds: out of range
        ("job_start_time", True),
        ("job_duration", -1),
        ("job_duration", 1.5),
        ("job_duration", "long"),
        ("service_id", "two"),
        ("service_id", 0),
        ("job_id", ""),
        ("job_id", {"id": 1}),
        ("optional", {"key": "a", "value": "b", "type": "string"}),
        ("repo_name", "x" * 301),
        ("triggered_by", "x" * 301),
        ("job_type", "x" * 201),
        ("job_id", "x" * 201),
    ],
)
def test_wrong_values(post, valid, field, value):
    assert_rejected(post(valid | {field: value}), field)


def test_the_longest_accepted_values_are_stored(post, valid):
    body = valid | {
        "job_id": "j" * 200,
        "repo_name": "r" * 300,
        "repo_id": "i" * 200,
        "triggered_by": "t" * 300,
        "job_type": "deploy " + "x" * 193,
    }
    assert post(body).status_code == 201
    assert Job.objects.get().repository.name == "r" * 300


def test_more_than_twenty_optional_fields(post, valid):
    optional = [{"key": f"k{i}", "value": "v", "type": "string"} for i in range(21)]
    assert_rejected(post(valid | {"optional": optional}), "optional")


def test_twenty_optional_fields_of_twenty_values_are_accepted(post, valid):
    optional = [{"key": f"k{i}", "value": list(range(20)), "type": "integer"} for i in range(20)]
    assert post(valid | {"optional": optional}).status_code == 201
    assert len(Job.objects.get().properties) == 20


def test_more_than_twenty_values_in_an_optional_field(post, valid):
    optional = [{"key": "k", "value": ["v"] * 21, "type": "string"}]
    assert_rejected(post(valid | {"optional": optional}), "optional[0].value")


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("string", 5),
        ("string", None),
        ("integer", "5"),
        ("integer", 5.5),
        ("integer", True),
        ("float", "5.5"),
        ("duration", 2.5),
        ("duration", -3),
        ("duration", "20m"),
        ("timestamp", "2024-01-01T00:00:00Z"),
        ("timestamp", -1),
        ("string", {"nested": "object"}),
    ],
)
def test_an_optional_value_not_matching_its_type(post, valid, kind, value):
    optional = [{"key": "ok", "value": "fine", "type": "string"}]
    optional.append({"key": "bad", "value": value, "type": kind})
    assert_rejected(post(valid | {"optional": optional}), "optional[1].value")


def test_one_bad_value_in_a_list_is_named_by_its_position(post, valid):
    optional = [{"key": "ports", "value": [80, 443, "8080"], "type": "integer"}]
    assert_rejected(post(valid | {"optional": optional}), "optional[0].value[2]")


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"value": "v", "type": "string"}, "optional[0].key"),
        ({"key": "k", "type": "string"}, "optional[0].value"),
        ({"key": "k", "value": "v"}, "optional[0].type"),
        ({"key": "k", "value": "v", "type": "boolean"}, "optional[0].type"),
        ("k=v", "optional[0]"),
    ],
)
def test_malformed_optional_entries(post, valid, entry, field):
    assert_rejected(post(valid | {"optional": [entry]}), field)


def test_an_optional_key_given_twice(post, valid):
    optional = [
        {"key": "env", "value": "a", "type": "string"},
        {"key": "env", "value": "b", "type": "string"},
    ]
    assert_rejected(post(valid | {"optional": optional}), "optional[1].key")


@pytest.mark.parametrize("token", ["", "dh_not-a-real-token"])
def test_without_a_valid_token_is_401(post, valid, token):
    assert_rejected(post(valid, token=token), None, status=401)


@pytest.mark.parametrize(
    "body",
    ["not json", "[1, 2]", '"a string"', '{"job_id": "1", "job_id": "2"}', "", b"\xff\xfe"],
)
def test_non_json_bodies_are_400(post, body):
    response = post(body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert not Job.objects.exists()
    assert Delivery.objects.get().status == "rejected"


def test_unauthenticated_callers_are_refused_before_their_body_is_read(post):
    assert_rejected(post("not json", token=""), None, status=401)
