"""A web process trusts a token it looked up for DORAHUB_TOKEN_CACHE_SECONDS (issue 18): a token
revoked elsewhere stops working within that window, one revoked in this process at once, and
tokens nobody issued are never kept."""

import pytest
from django.utils import timezone

from apps.connections import services
from apps.connections.models import ApiToken
from apps.connections.services import forget_cached_tokens, issue_token, revoke_token
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/deployments"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cached(settings, monkeypatch):
    settings.DORAHUB_TOKEN_CACHE_SECONDS = 5
    clock = Clock()
    monkeypatch.setattr(services.time, "monotonic", clock)
    forget_cached_tokens()
    yield clock
    forget_cached_tokens()


def status(api, plaintext: str) -> int:
    return api.get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code


def test_a_token_revoked_by_another_process_stops_working_within_the_window(api, cached):
    issued = issue_token(connection=ConnectionFactory())
    assert status(api, issued.plaintext) == 200
    # Another web process (or the admin's) revokes it: this one has it cached.
    ApiToken.objects.filter(pk=issued.token.pk).update(revoked_at=timezone.now())

    cached.now += 4
    assert status(api, issued.plaintext) == 200
    cached.now += 2
    assert status(api, issued.plaintext) == 401


def test_a_token_revoked_in_this_process_stops_working_at_once(api, cached):
    issued = issue_token(connection=ConnectionFactory())
    assert status(api, issued.plaintext) == 200

    revoke_token(token=ApiToken.objects.get(pk=issued.token.pk))

    assert status(api, issued.plaintext) == 401


def test_a_cached_token_is_one_lookup_per_window(api, cached, django_assert_num_queries):
    issued = issue_token(connection=ConnectionFactory())
    assert status(api, issued.plaintext) == 200

    with django_assert_num_queries(0):
        services.authenticate_token(plaintext=issued.plaintext)
    cached.now += 6
    with django_assert_num_queries(1):
        services.authenticate_token(plaintext=issued.plaintext)


def test_tokens_nobody_issued_are_never_kept(api, cached):
    issue_token(connection=ConnectionFactory())
    for n in range(20):
        response = api.get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer dh_{n:02d}{'x' * 41}")
        assert response.json()["error"]["message"] == "Unknown API token."

    assert services._recent_tokens == {}
