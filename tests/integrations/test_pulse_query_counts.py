"""Queries per Pulse delivery stay bounded: constant for a deployment whatever its size, and a
small constant per change in a batch (the CLI sends at most 100 changes per request)."""

import pytest

from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

# Inbox insert and answer, token lookup and touch, connection attach, the savepoint.
BASE = 10
# Lookup, insert-or-ignore, reload; plus an update, reload and the deployments that shipped
# it when an earlier time moves the change's start.
PER_CHANGE = 7


@pytest.fixture
def url(db: None) -> str:
    connection = ConnectionFactory(kind="pulse")
    return f"/v1/ingestion/cli?api_key={token_for(connection)}"


def change(i: int, when: str = "2024-01-01T00:00:00Z") -> dict:
    return {"$type": "change", "change_id": f"{i:040x}", "time_created": when}


def test_one_change_uses_a_bounded_number_of_queries(api, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(BASE + PER_CHANGE):
        assert api.post(url, data=change(1), format="json").status_code == 200


def test_a_batch_of_changes_costs_a_constant_per_change(api, url, django_assert_max_num_queries):
    api.post(url, data=[change(i) for i in range(100)], format="json")
    earlier = [change(i, when="2023-06-01T00:00:00Z") for i in range(100)]

    with django_assert_max_num_queries(BASE + PER_CHANGE * 100):
        response = api.post(url, data=earlier, format="json")

    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {"recorded"}


@pytest.mark.parametrize("size", [1, 500])
def test_a_deployment_costs_the_same_whatever_its_size(
    api, url, django_assert_max_num_queries, size
):
    body = {
        "$type": "deployment",
        "deploy_id": "v1",
        "time_created": "2024-01-02T00:00:00Z",
        "changes": [f"{i:040x}" for i in range(size)],
    }
    # 24 plus the few extra INSERTs SQLite needs to stay under its bound-parameter limit.
    with django_assert_max_num_queries(30):
        assert api.post(url, data=body, format="json").status_code == 201


def test_an_incident_uses_a_bounded_number_of_queries(api, url, django_assert_max_num_queries):
    body = {"$type": "incident", "incident_id": "I-1", "time_created": "2024-01-02T00:00:00Z"}
    with django_assert_max_num_queries(18):
        assert api.post(url, data=body, format="json").status_code == 201
