from datetime import timedelta

import pytest
from django.utils import timezone

from apps.connections import tokens
from apps.connections.models import ApiToken
from apps.connections.services import issue_token, revoke_token, touch_token
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/deployments"


def test_a_new_token_is_shown_once_and_only_its_digest_is_stored():
    issued = issue_token(connection=ConnectionFactory())
    stored = ApiToken.objects.get(pk=issued.token.pk)

    assert issued.plaintext.startswith("dh_")
    assert len(issued.plaintext) >= 43
    assert stored.digest != issued.plaintext
    assert issued.plaintext not in {stored.digest, stored.prefix, stored.name}
    assert stored.prefix == issued.plaintext[: tokens.PREFIX_LENGTH]
    assert stored.digest == tokens.digest(issued.plaintext)


def test_token_lifecycle_authenticates_then_revoked_token_is_refused(api):
    issued = issue_token(connection=ConnectionFactory())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.plaintext}"}

    assert api.get(LIST_URL, **auth).status_code == 200

    revoke_token(token=issued.token)
    response = api.get(LIST_URL, **auth)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"


def test_an_expired_token_is_refused(api):
    issued = issue_token(
        connection=ConnectionFactory(), expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = api.get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_AUTHORIZATION": "Bearer {t}"},
        {"HTTP_AUTHORIZATION": "Token {t}"},
        {"HTTP_X_API_KEY": "{t}"},
    ],
)
def test_token_is_accepted_in_every_documented_header(api, header):
    issued = issue_token(connection=ConnectionFactory())
    headers = {k: v.format(t=issued.plaintext) for k, v in header.items()}
    assert api.get(LIST_URL, **headers).status_code == 200


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Basic dXNlcjpwYXNz", "invalid_header"),
        ("Bearer", "invalid_header"),
        ("Bearer not-a-token", "invalid_token"),
        ("Bearer dh_" + "x" * 43, "invalid_token"),
    ],
)
def test_malformed_or_unknown_tokens_get_401(api, header, code):
    response = api.get(LIST_URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


def test_anonymous_requests_to_the_api_get_401(api):
    response = api.get(LIST_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "not_authenticated"


def test_last_used_is_written_at_most_once_a_minute():
    issued = issue_token(connection=ConnectionFactory())
    token = issued.token
    now = timezone.now()

    assert touch_token(token=token, now=now) is True
    assert touch_token(token=token, now=now + timedelta(seconds=30)) is False
    assert touch_token(token=token, now=now + timedelta(seconds=61)) is True
    token.refresh_from_db()
    assert token.last_used_at == now + timedelta(seconds=61)


def test_authenticating_twice_within_a_minute_writes_last_used_once(api):
    issued = issue_token(connection=ConnectionFactory())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.plaintext}"}
    api.get(LIST_URL, **auth)
    first = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    api.get(LIST_URL, **auth)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first
