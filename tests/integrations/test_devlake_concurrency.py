"""Concurrent duplicate deliveries produce one row: the database keeps the promise."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from apps.deployments.models import Deployment, DeploymentCommit
from apps.issues.models import Issue
from tests.factories import ConnectionFactory, token_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _post_many(url: str, token: str, bodies: list[dict]) -> list[int]:
    def post(body: dict) -> int:
        try:
            response = Client().post(
                url,
                data=body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            return response.status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(post, bodies))


def test_concurrent_duplicate_deployments_make_one_row():
    connection = ConnectionFactory()
    token = token_for(connection)
    body = {
        "id": "release-1",
        "start_time": "2024-01-01T00:00:00Z",
        "deploymentCommits": [
            {"repo_url": "https://github.com/acme/api", "commit_sha": f"sha{i}"} for i in range(3)
        ],
    }
    statuses = _post_many(f"/api/v1/connections/{connection.pk}/deployments", token, [body] * 16)

    assert set(statuses) <= {200, 201}
    assert Deployment.objects.count() == 1
    assert DeploymentCommit.objects.count() == 3


def test_concurrent_duplicate_issues_make_one_row():
    connection = ConnectionFactory()
    token = token_for(connection)
    body = {
        "issue_key": "INC-1",
        "title": "down",
        "status": "TODO",
        "type": "INCIDENT",
        "created_date": "2024-01-01T00:00:00Z",
    }
    statuses = _post_many(f"/api/v1/connections/{connection.pk}/issues", token, [body] * 16)

    assert set(statuses) <= {200, 201}
    assert Issue.objects.count() == 1
