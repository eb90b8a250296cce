import pytest
from django.test import override_settings

from apps.deployments.models import Deployment
from apps.ingest.models import Delivery

pytestmark = pytest.mark.django_db

BODY = {"repo_url": "r", "commit_sha": "abc", "start_time": "2024-01-01T00:00:00Z"}


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
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Deployment.objects.count() == 3
    assert Delivery.objects.filter(status="rejected", response_status=429).count() == 2

    other = api.post(
        f"/api/v1/connections/{other_sender.connection.pk}/deployments",
        data=BODY,
        format="json",
        **other_sender.auth,
    )
    assert other.status_code == 201  # limits are per sender
