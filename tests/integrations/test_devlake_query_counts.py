import pytest

pytestmark = pytest.mark.django_db

# Budgets of the inline road (`make run`: applied in the request): the request path
# (tests/ingest/test_receipt_road.py), then the applier's claim and the writes: repository and
# commit upserts, the deployment row, its commit set, dirty day and lifecycle event.
# On PostgreSQL the applier's claim adds two (its connections, then their advisory locks).
MAX_QUERIES_PER_DEPLOYMENT = 28


def test_a_deployment_with_twenty_commits_uses_a_bounded_number_of_queries(
    api, sender, django_assert_max_num_queries
):
    body = {
        "id": "d-1",
        "start_time": "2024-01-01T00:00:00Z",
        "deploymentCommits": [
            {"repo_url": f"https://github.com/acme/r{i % 3}", "commit_sha": f"sha{i}"}
            for i in range(20)
        ],
    }
    with django_assert_max_num_queries(MAX_QUERIES_PER_DEPLOYMENT):
        response = api.post(
            f"/api/v1/connections/{sender.connection.pk}/deployments",
            data=body,
            format="json",
            **sender.auth,
        )
    assert response.status_code == 201


def test_an_issue_uses_a_bounded_number_of_queries(api, sender, django_assert_max_num_queries):
    body = {
        "issue_key": "I-1",
        "title": "t",
        "status": "DONE",
        "type": "INCIDENT",
        "created_date": "2024-01-01T00:00:00Z",
    }
    with django_assert_max_num_queries(20):
        response = api.post(
            f"/api/v1/connections/{sender.connection.pk}/issues",
            data=body,
            format="json",
            **sender.auth,
        )
    assert response.status_code == 201


def test_the_deployment_list_does_not_grow_queries_with_rows(
    api, sender, django_assert_max_num_queries
):
    for i in range(30):
        api.post(
            f"/api/v1/connections/{sender.connection.pk}/deployments",
            data={
                "id": f"d{i}",
                "repo_url": "r",
                "commit_sha": f"s{i}",
                "start_time": "2024-01-01T00:00:00Z",
            },
            format="json",
            **sender.auth,
        )
    with django_assert_max_num_queries(5):
        response = api.get("/api/v1/deployments", **sender.auth)
    assert response.json()["count"] == 30
