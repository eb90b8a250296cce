"""Each bad input gets the error shape naming the field, stores no deployment or issue, and
leaves the raw delivery in the inbox marked rejected."""

import json

import pytest
from django.test import override_settings

from apps.deployments.models import Deployment
from apps.ingest.models import Delivery
from tests.assertions import assert_rejected

pytestmark = pytest.mark.django_db

VALID_DEPLOYMENT = {
    "repo_url": "https://github.com/acme/api",
    "commit_sha": "015e3d3b480e417aede5a1293bd61de9b0fd051d",
    "start_time": "2020-01-01T12:00:00+00:00",
    "end_time": "2020-01-01T12:10:00+00:00",
}
VALID_ISSUE = {
    "issue_key": "INC-1",
    "title": "down",
    "status": "TODO",
    "original_status": "open",
    "created_date": "2020-01-01T12:00:00+00:00",
}


def without(payload, key):
    return {k: v for k, v in payload.items() if k != key}


@pytest.fixture
def post_deployment(api, sender):
    def _post(body, **extra):
        data = body if isinstance(body, str) else json.dumps(body)
        return api.post(
            f"/api/v1/connections/{sender.connection.pk}/deployments",
            data=data,
            content_type="application/json",
            **sender.auth,
            **extra,
        )

    return _post


@pytest.fixture
def post_issue(api, sender):
    def _post(body):
        return api.post(
            f"/api/v1/connections/{sender.connection.pk}/issues",
            data=json.dumps(body),
            content_type="application/json",
            **sender.auth,
        )

    return _post


@pytest.mark.parametrize("field", ["repo_url", "commit_sha", "start_time"])
def test_each_required_deployment_field_missing(post_deployment, field):
    assert_rejected(post_deployment(without(VALID_DEPLOYMENT, field)), field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("result", "SUCCEEDED"),
        ("environment", "QA"),
        ("start_time", "2020-01-01T12:00:00"),
        ("start_time", "yesterday"),
        ("end_time", "2020-01-01T11:00:00+00:00"),
        ("commit_sha", ""),
        ("commit_sha", "a" * 129),
        ("commit_sha", "abc def"),
        ("commit_sha", "abc\n; DROP TABLE x"),
        ("deploymentCommits", []),
        ("create_time", 12345),
    ],
)
def test_wrong_deployment_values(post_deployment, field, value):
    assert_rejected(post_deployment(VALID_DEPLOYMENT | {field: value}), field)


def test_a_bad_commit_inside_deployment_commits_is_named_by_position(post_deployment):
    body = without(without(VALID_DEPLOYMENT, "commit_sha"), "repo_url") | {
        "deploymentCommits": [{"repo_url": "r", "commit_sha": "ok"}, {"repo_url": "r"}]
    }
    assert_rejected(post_deployment(body), "deploymentCommits[1].commit_sha")


def test_both_spellings_of_a_field_is_an_error(post_deployment):
    body = VALID_DEPLOYMENT | {"startedDate": "2020-01-01T12:00:00Z"}
    assert_rejected(post_deployment(body), "startedDate")


@pytest.mark.parametrize(
    "body", ["not json", "[1, 2]", '"a string"', '{"a": 1, "a": 2}', "", "\xff"]
)
def test_non_object_bodies_are_400(post_deployment, body):
    response = post_deployment(body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert not Deployment.objects.exists()
    assert Delivery.objects.get().status == "rejected"


@pytest.mark.parametrize("field", ["issue_key", "title", "status", "created_date"])
def test_each_required_issue_field_missing(post_issue, field):
    assert_rejected(post_issue(without(VALID_ISSUE, field)), field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "CLOSED"),
        ("created_date", "2020-01-01"),
        ("resolution_date", "2019-01-01T00:00:00Z"),
        ("story_point", "many"),
    ],
)
def test_wrong_issue_values(post_issue, field, value):
    assert_rejected(post_issue(VALID_ISSUE | {field: value}), field)


def test_empty_strings_are_accepted_for_optional_issue_fields(post_issue):
    body = VALID_ISSUE | {"story_point": "", "resolution_date": "", "priority": "", "url": ""}
    assert post_issue(body).status_code == 201


def test_an_unknown_connection_id_is_refused_like_another_connections(api, sender):
    """The token is checked first: it never tells which other connection ids exist."""
    response = api.post(
        "/api/v1/connections/999999/deployments",
        data=VALID_DEPLOYMENT,
        format="json",
        **sender.auth,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_connection"


def test_an_unknown_connection_name_is_refused_like_another_connections(api, sender):
    response = api.post(
        "/api/rest/plugins/webhook/connections/by-name/nope/deployments",
        data=VALID_DEPLOYMENT,
        format="json",
        **sender.auth,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_connection"


def test_oversized_body_is_413_and_recorded(post_deployment):
    with override_settings(DORAHUB_MAX_BODY_BYTES=200):
        response = post_deployment(VALID_DEPLOYMENT | {"name": "x" * 500})
    assert response.status_code == 413
    assert not Deployment.objects.exists()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_status) == ("rejected", 413)


def test_missing_token_is_401_and_the_attempt_is_visible(api, sender):
    response = api.post(
        f"/api/v1/connections/{sender.connection.pk}/deployments",
        data=VALID_DEPLOYMENT,
        format="json",
    )
    assert_rejected(response, None, status=401)


def test_the_longest_accepted_repository_url_is_stored(post_deployment):
    url = "https://github.com/acme/" + "r" * 470
    response = post_deployment(VALID_DEPLOYMENT | {"repo_url": url})
    assert response.status_code == 201
    assert Deployment.objects.get().repository.url == url


def test_a_repository_url_over_500_characters_is_refused(post_deployment):
    assert_rejected(post_deployment(VALID_DEPLOYMENT | {"repo_url": "x" * 501}), "repo_url")
