import pytest

from apps.ingest.models import Delivery
from tests.conftest import wait_for

pytestmark = pytest.mark.celery_worker


def test_an_accepted_delivery_is_processed_by_a_real_worker(api, sender, celery_worker_on_redis):
    body = {"repo_url": "r", "commit_sha": "abc", "start_time": "2024-01-01T00:00:00Z"}
    response = api.post(
        f"/api/v1/connections/{sender.connection.pk}/deployments",
        data=body,
        format="json",
        **sender.auth,
    )
    assert response.status_code == 201

    delivery = Delivery.objects.get()
    assert wait_for(lambda: Delivery.objects.get(pk=delivery.pk).processed_at is not None)
