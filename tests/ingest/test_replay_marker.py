"""A replay (the same sender delivery id on the same connection) is answered with the first
answer and says so: `Idempotent-Replayed: true`, inbox status `duplicate`. The marker lives in
the one pipeline, so every route has it; here the native route, Pulse's and DevLake's."""

import pytest

from apps.ingest.models import Delivery

pytestmark = pytest.mark.django_db

BODY = {
    "repo_url": "https://github.com/acme/api",
    "commit_sha": "abc123",
    "start_time": "2020-01-01T12:00:00+00:00",
    "end_time": "2020-01-01T12:05:00+00:00",
}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/connections/{id}/deployments",
        "/api/rest/plugins/webhook/{id}/deployments",
        "/rest/plugins/webhook/connections/{id}/deployments",
    ],
)
def test_a_replay_is_answered_as_the_first_time_and_marked(api, sender, path):
    url = path.format(id=sender.connection.pk)

    first = api.post(url, data=BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **sender.auth)
    again = api.post(url, data=BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **sender.auth)

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert [d.status for d in Delivery.objects.order_by("id")] == ["accepted", "duplicate"]


def test_a_new_delivery_with_the_same_content_is_not_a_replay(api, sender):
    url = f"/api/v1/connections/{sender.connection.pk}/deployments"

    api.post(url, data=BODY, format="json", **sender.auth)
    again = api.post(url, data=BODY, format="json", **sender.auth)

    assert again.json()["status"] == "unchanged"
    assert "Idempotent-Replayed" not in again
