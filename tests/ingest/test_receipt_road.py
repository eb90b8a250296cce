"""The request path in production (docs/scaling.md): a delivery is authenticated, validated and
stored in at most 4 statements and answered with a receipt its sender counts as success; the
applier writes it later. Bad input is still refused at once, and a sender that asks to wait
(`Prefer: wait=N`) gets the final outcome."""

import pytest

from apps.deployments.models import Deployment
from apps.ingest.applier import apply_all
from apps.ingest.models import Delivery, DeliveryStatus
from apps.issues.models import Issue
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

# Token lookup, the idempotency check, the insert; one to spare (the token's last use, once a
# minute).
REQUEST_PATH_STATEMENTS = 4

DEPLOYMENT = {
    "id": "d-1",
    "start_time": "2024-03-01T10:00:00Z",
    "end_time": "2024-03-01T10:05:00Z",
    "deploymentCommits": [
        {"repo_url": f"https://github.com/acme/r{i}", "commit_sha": f"{i:040x}"} for i in range(3)
    ],
}
ISSUE = {
    "issue_key": "INC-1",
    "title": "checkout down",
    "status": "TODO",
    "type": "INCIDENT",
    "created_date": "2024-03-01T11:00:00Z",
}


def devlake(kind: str = "devlake"):
    connection = ConnectionFactory(kind=kind)
    return connection, {"HTTP_AUTHORIZATION": f"Bearer {token_for(connection)}"}


ROUTES = {
    # route: (path template, body, expected receipt status)
    "native deployments": ("/api/v1/connections/{pk}/deployments", DEPLOYMENT, 202),
    "native issues": ("/api/v1/connections/{pk}/issues", ISSUE, 202),
    "devlake deployments": (
        "/api/rest/plugins/webhook/connections/{pk}/deployments",
        DEPLOYMENT,
        200,
    ),
    "devlake issues": ("/api/rest/plugins/webhook/connections/{pk}/issues", ISSUE, 200),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_the_request_path_stores_a_receipt_in_a_few_statements(
    api, production_road, django_assert_max_num_queries, route
):
    path, body, expected = ROUTES[route]
    connection, auth = devlake()
    url = path.format(pk=connection.pk)
    api.post(url, data={**body, "id": "warm-up"} if "id" in body else body, format="json", **auth)

    with django_assert_max_num_queries(REQUEST_PATH_STATEMENTS):
        response = api.post(
            url, data=body, format="json", HTTP_IDEMPOTENCY_KEY=f"{route}-1", **auth
        )

    assert response.status_code == expected, response.content
    receipt = response.json()
    delivery = Delivery.objects.get(pk=receipt["delivery_id"])
    assert delivery.status == DeliveryStatus.PENDING
    assert receipt["status"] == "accepted"
    assert response["X-DoraHub-Delivery"] == str(delivery.pk)
    if expected == 200:  # DevLake's client counts 200 with success
        assert (receipt["success"], receipt["message"]) == (True, "success")
    assert production_road.count == 2


def test_a_receipt_names_the_record_and_the_applier_writes_it(api, production_road):
    connection, auth = devlake()
    url = f"/api/v1/connections/{connection.pk}/deployments"

    receipt = api.post(url, data=DEPLOYMENT, format="json", **auth).json()

    assert receipt["external_id"] == "d-1"
    assert not Deployment.objects.exists()
    assert apply_all() == 1
    deployment = Deployment.objects.get()
    assert (deployment.external_id, deployment.deployment_commits.count()) == ("d-1", 3)
    delivery = Delivery.objects.get(pk=receipt["delivery_id"])
    assert delivery.status == DeliveryStatus.ACCEPTED
    assert delivery.response_status == 201
    assert delivery.response_body["id"] == deployment.pk


def test_invalid_input_is_still_refused_in_the_request_and_nothing_is_pending(api, production_road):
    connection, auth = devlake()
    body = {**DEPLOYMENT, "start_time": "2024-03-01T10:00:00"}  # no zone

    response = api.post(
        f"/api/v1/connections/{connection.pk}/deployments", data=body, format="json", **auth
    )

    assert response.status_code == 400
    assert "start_time" in response.json()["error"]["fields"]
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.REJECTED
    assert apply_all() == 0
    assert production_road.count == 0


def test_a_wrong_token_is_refused_in_the_request(api, production_road):
    connection, _ = devlake()

    response = api.post(
        f"/api/v1/connections/{connection.pk}/deployments",
        data=DEPLOYMENT,
        format="json",
        HTTP_AUTHORIZATION="Bearer dh_not-a-real-token-at-all-0000000000000000000",
    )

    assert response.status_code == 401
    assert Delivery.objects.get().status == DeliveryStatus.REJECTED


def test_a_sender_that_waits_gets_the_outcome(api, production_road):
    connection, auth = devlake()

    response = api.post(
        f"/api/v1/connections/{connection.pk}/issues",
        data=ISSUE,
        format="json",
        HTTP_PREFER="wait=5",
        **auth,
    )

    assert response.status_code == 201
    assert response["Preference-Applied"] == "wait=5"
    assert response.json()["id"] == Issue.objects.get().pk
    assert production_road.count == 0


def test_a_retry_of_a_pending_delivery_gets_its_receipt_again(api, production_road):
    connection, auth = devlake()
    url = f"/api/v1/connections/{connection.pk}/deployments"
    first = api.post(url, data=DEPLOYMENT, format="json", HTTP_IDEMPOTENCY_KEY="k", **auth)

    again = api.post(url, data=DEPLOYMENT, format="json", HTTP_IDEMPOTENCY_KEY="k", **auth)

    assert again.status_code == first.status_code == 202
    assert again.json()["delivery_id"] == first.json()["delivery_id"]
    assert again["Idempotent-Replayed"] == "true"
    assert apply_all() == 1
    assert Deployment.objects.count() == 1


def test_with_the_broker_unreachable_the_request_applies_the_delivery_itself(
    api, production_road, monkeypatch
):
    from apps.ingest import tasks

    monkeypatch.setattr(tasks, "kick_applier", lambda: False)  # no run could be queued
    connection, auth = devlake()

    response = api.post(
        f"/api/v1/connections/{connection.pk}/deployments", data=DEPLOYMENT, format="json", **auth
    )

    assert response.status_code == 201
    assert response.json()["id"] == Deployment.objects.get().pk
    assert Delivery.objects.get().status == DeliveryStatus.ACCEPTED


def test_signed_github_and_gitlab_pushes_take_the_receipt_road_too(
    api, production_road, django_assert_max_num_queries
):
    from tests.integrations import github_payloads as gh
    from tests.integrations import sources
    from tests.integrations.test_gitlab import deliver as gitlab_deliver

    github = ConnectionFactory(kind="github", secret=gh.SECRET)
    gitlab = ConnectionFactory(kind="gitlab", secret=sources.SECRET)

    with django_assert_max_num_queries(REQUEST_PATH_STATEMENTS):
        pushed = gh.deliver(api, github, "push", gh.PUSH)
    with django_assert_max_num_queries(REQUEST_PATH_STATEMENTS):
        hooked = gitlab_deliver(api, gitlab, "Push Hook", sources.load("gitlab", "push_hook"))

    assert (pushed.status_code, hooked.status_code) == (202, 202)
    assert {pushed.json()["event"], hooked.json()["event"]} == {"push"}
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert apply_all() == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.ACCEPTED}


def test_a_github_push_with_a_naive_time_is_still_refused_in_the_request(api, production_road):
    from tests.integrations import github_payloads as gh

    github = ConnectionFactory(kind="github", secret=gh.SECRET)
    push = gh.changed(gh.PUSH, **{"commits.1.timestamp": "2024-01-01T15:45:00"})

    response = gh.deliver(api, github, "push", push)

    assert response.status_code == 400
    assert Delivery.objects.get().status == DeliveryStatus.REJECTED


def test_a_ctoai_event_takes_the_receipt_road(api, production_road, django_assert_max_num_queries):
    from tests.integrations.contracts.test_ctoai import event, send

    connection = ConnectionFactory(kind="ctoai")
    token = token_for(connection)
    send(api, token, event("change", "open"))  # the token's first use: its lookup

    with django_assert_max_num_queries(REQUEST_PATH_STATEMENTS):
        response = send(api, token, event("deployment", "success"))

    assert response.status_code == 202
    assert response.json()["event"] == "deployment.success"
    assert apply_all() == 2
    assert Deployment.objects.get().result == "SUCCESS"
