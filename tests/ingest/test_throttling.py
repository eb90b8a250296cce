from types import SimpleNamespace

import pytest
from django.test import override_settings

from apps.deployments.models import Deployment
from apps.ingest import throttling
from apps.ingest.models import Delivery

pytestmark = pytest.mark.django_db

BODY = {"repo_url": "r", "commit_sha": "abc", "start_time": "2024-01-01T00:00:00Z"}
# 15 s into a one-minute window: every request of a test falls in the same window.
NOW = 28_333_333 * throttling.WINDOW_SECONDS + 15.0


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The limiter's clock stands still (a test never straddles two windows) until a test
    moves it."""
    clock = SimpleNamespace(now=NOW)
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


@override_settings(DORAHUB_INGEST_RATE_PER_MINUTE=3)
def test_a_sender_over_its_rate_gets_429_with_retry_after(api, sender, other_sender):
    url = f"/api/v1/connections/{sender.connection.pk}/deployments"
    statuses = [
        api.post(url, data=BODY | {"id": str(i)}, format="json", **sender.auth).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]

    refused = api.post(url, data=BODY | {"id": "x"}, format="json", **sender.auth)
    assert refused.json()["error"]["code"] == "throttled"
    assert refused["Retry-After"] == "45"  # the rest of the window
    assert Deployment.objects.count() == 3
    assert Delivery.objects.filter(status="rejected", response_status=429).count() == 2

    other = api.post(
        f"/api/v1/connections/{other_sender.connection.pk}/deployments",
        data=BODY,
        format="json",
        **other_sender.auth,
    )
    assert other.status_code == 201  # limits are per sender


@override_settings(DORAHUB_INGEST_RATE_PER_MINUTE=1)
def test_the_next_window_lets_the_sender_in_again(api, sender, clock):
    url = f"/api/v1/connections/{sender.connection.pk}/deployments"

    def post(i: int) -> int:
        return api.post(url, data=BODY | {"id": str(i)}, format="json", **sender.auth).status_code

    assert [post(1), post(2)] == [201, 429]
    clock.now += 45  # the next window
    assert [post(3), post(4)] == [201, 429]
