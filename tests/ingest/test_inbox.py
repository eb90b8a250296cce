import pytest

from apps.deployments.models import Deployment
from apps.ingest import pipeline
from apps.ingest.models import Delivery
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

BODY = {
    "repo_url": "https://github.com/acme/api",
    "commit_sha": "abc123",
    "start_time": "2020-01-01T12:00:00+00:00",
}


def url(sender):
    return f"/api/v1/connections/{sender.connection.pk}/deployments"


def test_every_delivery_is_recorded_with_secrets_redacted(api, sender):
    api.post(
        url(sender) + "?api_key=secret-in-query",
        data=BODY,
        format="json",
        HTTP_IDEMPOTENCY_KEY="abc",
        **sender.auth,
    )

    delivery = Delivery.objects.get()
    assert delivery.route == "deployments"
    assert delivery.connection == sender.connection
    assert delivery.status == "accepted"
    assert delivery.response_status == 201
    assert delivery.delivery_id == "abc"
    assert delivery.headers["Authorization"] == "[REDACTED]"
    assert delivery.query["api_key"] == "[REDACTED]"
    assert sender.token not in str(delivery.headers)
    assert b'"commit_sha"' in bytes(delivery.body)


def test_a_redelivered_id_is_answered_from_the_first_delivery(api, sender):
    first = api.post(
        url(sender), data=BODY, format="json", HTTP_IDEMPOTENCY_KEY="d-1", **sender.auth
    )
    second = api.post(
        url(sender), data=BODY, format="json", HTTP_IDEMPOTENCY_KEY="d-1", **sender.auth
    )

    assert second.status_code == first.status_code == 201
    assert second.json() == first.json()
    assert Deployment.objects.count() == 1
    assert Delivery.objects.filter(status="duplicate").count() == 1


def test_a_reused_idempotency_key_with_another_body_is_a_422_naming_the_key(api, sender):
    """Issue 16 finding 14 (Stripe's rule): the new body is not silently dropped."""
    api.post(url(sender), data=BODY, format="json", HTTP_IDEMPOTENCY_KEY="d-1", **sender.auth)

    reused = api.post(
        url(sender),
        data=BODY | {"result": "FAILURE"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="d-1",
        **sender.auth,
    )

    assert reused.status_code == 422
    error = reused.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "'d-1'" in error["message"]
    assert Deployment.objects.get().result == "SUCCESS"
    assert Delivery.objects.latest("id").status == "rejected"


def test_reprocessing_an_accepted_delivery_is_a_duplicate_of_what_it_stored(api, sender):
    body = {
        "issue_key": "X-1",
        "title": "t",
        "status": "TODO",
        "created_date": "2020-01-01T00:00:00Z",
        "type": "Outage",
    }
    api.post(
        f"/api/v1/connections/{sender.connection.pk}/issues",
        data=body,
        format="json",
        **sender.auth,
    )
    delivery = Delivery.objects.get()
    assert delivery.status == "accepted"

    response = pipeline.replay(delivery=delivery)
    delivery.refresh_from_db()
    assert response.status_code == 200
    assert delivery.attempts == 2
    assert delivery.status == "duplicate"  # the issue it wrote is already there, unchanged


def test_reprocessing_a_rejected_delivery_rejects_it_again_and_stores_nothing(api, sender):
    naive = BODY | {"start_time": "2024-01-01T12:00:00"}
    refused = api.post(url(sender), data=naive, format="json", **sender.auth)
    delivery = Delivery.objects.get()
    assert (refused.status_code, delivery.status) == (400, "rejected")

    response = pipeline.replay(delivery=delivery)

    delivery.refresh_from_db()
    assert response.status_code == 400
    assert response.data == refused.json()
    assert (delivery.status, delivery.attempts) == ("rejected", 2)
    assert delivery.error == refused.json()["error"]["message"]
    assert not Deployment.objects.exists()


def test_admin_reprocess_action_replays_authenticated_deliveries(client, api, sender):
    api.post(url(sender), data=BODY, format="json", **sender.auth)
    Deployment.objects.all().delete()
    client.force_login(StaffFactory())

    client.post(
        "/admin/ingest/delivery/",
        {"action": "reprocess", "_selected_action": [Delivery.objects.get().pk]},
    )

    assert Deployment.objects.count() == 1


def test_admin_shows_the_body_of_a_rejected_delivery(client, api, sender):
    api.post(url(sender), data='{"oops": ', content_type="application/json", **sender.auth)
    client.force_login(StaffFactory())
    delivery = Delivery.objects.get()
    page = client.get(f"/admin/ingest/delivery/{delivery.pk}/change/").content.decode()
    assert "oops" in page
    assert "Malformed JSON" in page


@pytest.mark.parametrize(
    ("where", "name"),
    [
        ("query", "apikey"),
        ("query", "private_token"),
        ("header", "X-Auth-Token"),
        ("header", "Private-Token"),
        ("header", "X-Custom"),
    ],
)
def test_a_token_under_an_unlisted_name_is_redacted_in_the_inbox(api, sender, where, name):
    """Issue 16 finding 12: a `dh_` token is recognised by its shape, whatever it is called."""
    extra = {}
    path = url(sender)
    if where == "query":
        path += f"?{name}={sender.token}&page=2"
    else:
        extra["HTTP_" + name.upper().replace("-", "_")] = f"token {sender.token}"

    api.post(path, data=BODY, format="json", **sender.auth, **extra)

    delivery = Delivery.objects.get()
    assert sender.token not in str(delivery.headers) + str(delivery.query)
    assert sender.token[3:] not in str(delivery.headers) + str(delivery.query)
    if where == "query":
        assert delivery.query["page"] == "2"  # everything else is kept as sent
