"""Each receiver declares how its sender authenticates, and authenticates before it says anything
about a connection: without a valid credential, a connection that exists and one that does not
answer alike (issue 16, finding 18)."""

import json

import pytest
from django.test import Client

from apps.core.signatures import hmac_sha256_hex
from apps.ingest.models import Delivery, DeliveryStatus
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

SECRET = "the-signing-secret"
UNKNOWN_ID = 987654
BODY = json.dumps({"repo_url": "https://github.com/acme/api", "commit_sha": "a" * 40}).encode()


def post(path: str, *, body: bytes = BODY, **headers: str):
    return Client().post(path, data=body, content_type="application/json", **headers)


def answer(response) -> tuple[int, dict]:
    return response.status_code, response.json()


@pytest.fixture
def known():
    return ConnectionFactory(name="known-one", secret=SECRET)


TOKEN_PATHS = [
    "/api/v1/connections/{id}/deployments",
    "/api/v1/connections/{id}/changes",
    "/api/rest/plugins/webhook/{id}/deployments",
    "/api/rest/plugins/webhook/connections/by-name/{name}/deployments",
]


@pytest.mark.parametrize("path", TOKEN_PATHS)
@pytest.mark.parametrize(
    "credential",
    [{}, {"HTTP_AUTHORIZATION": "Bearer dh_" + "x" * 43}, {"HTTP_AUTHORIZATION": "Basic abc"}],
    ids=["no token", "unknown token", "malformed header"],
)
def test_without_a_valid_token_a_known_connection_looks_like_an_unknown_one(
    known, path, credential
):
    existing = post(path.format(id=known.pk, name=known.name), **credential)
    missing = post(path.format(id=UNKNOWN_ID, name="no-such-connection"), **credential)

    assert existing.status_code == 401
    assert answer(existing) == answer(missing)


@pytest.mark.parametrize("path", TOKEN_PATHS)
def test_a_valid_token_cannot_tell_another_connection_from_none(known, path):
    token = token_for(ConnectionFactory(name="prober"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    existing = post(path.format(id=known.pk, name=known.name), **auth)
    missing = post(path.format(id=UNKNOWN_ID, name="no-such-connection"), **auth)

    assert existing.status_code == 403
    assert existing.json()["error"]["code"] == "wrong_connection"
    assert answer(existing) == answer(missing)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.REJECTED}


def cirrus(connection_id, signature: str | None):
    headers = {"HTTP_X_CIRRUS_EVENT": "task"}
    if signature is not None:
        headers["HTTP_X_CIRRUS_SIGNATURE"] = signature
    return post(f"/api/v1/connections/{connection_id}/cirrus", **headers)


def github(connection_id, signature: str | None):
    headers = {"HTTP_X_GITHUB_EVENT": "ping", "HTTP_X_GITHUB_DELIVERY": "d-1"}
    if signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return post(f"/api/v1/connections/{connection_id}/github", **headers)


def signed_by_header(route: str, header: str):
    def send(connection_id, signature: str | None):
        headers = {header: signature} if signature is not None else {}
        return post(f"/api/v1/connections/{connection_id}/{route}", **headers)

    return send


SIGNED = {
    "cirrus": (cirrus, lambda secret: hmac_sha256_hex(secret=secret, body=BODY)),
    "github": (github, lambda secret: "sha256=" + hmac_sha256_hex(secret=secret, body=BODY)),
    "pagerduty": (
        signed_by_header("pagerduty", "HTTP_X_PAGERDUTY_SIGNATURE"),
        lambda secret: "v1=" + hmac_sha256_hex(secret=secret, body=BODY),
    ),
    "jira": (
        signed_by_header("jira", "HTTP_X_HUB_SIGNATURE"),
        lambda secret: "sha256=" + hmac_sha256_hex(secret=secret, body=BODY),
    ),
}


@pytest.mark.parametrize("provider", sorted(SIGNED))
def test_a_signature_route_answers_an_unknown_connection_as_a_wrong_signature(known, provider):
    send, sign = SIGNED[provider]
    guessed = sign("a guessed secret")

    wrong = send(known.pk, guessed)
    unknown = send(UNKNOWN_ID, guessed)
    unsigned_known, unsigned_unknown = send(known.pk, None), send(UNKNOWN_ID, None)

    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "signature_invalid"
    assert answer(wrong) == answer(unknown)
    assert unsigned_known.json()["error"]["code"] == "signature_missing"
    assert answer(unsigned_known) == answer(unsigned_unknown)
    assert send(known.pk, sign(SECRET)).status_code not in (401, 403)


@pytest.mark.parametrize("provider", sorted(SIGNED))
def test_a_connection_without_a_secret_looks_like_an_unknown_one_to_a_signer(provider):
    send, sign = SIGNED[provider]
    secretless = ConnectionFactory(name="no-secret")

    assert answer(send(secretless.pk, sign(SECRET))) == answer(send(UNKNOWN_ID, sign(SECRET)))
    assert answer(send(secretless.pk, None)) == answer(send(UNKNOWN_ID, None))


def test_a_disabled_connection_is_only_named_to_a_sender_that_signed_correctly(known):
    known.is_active = False
    known.save()

    guessed = github(known.pk, SIGNED["github"][1]("guess"))
    signed = github(known.pk, SIGNED["github"][1](SECRET))

    assert guessed.json()["error"]["code"] == "signature_invalid"
    assert signed.status_code == 401
    assert signed.json()["error"]["code"] == "connection_inactive"
