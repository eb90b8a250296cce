"""Parallel CI jobs reporting the same history make one row per change and deployment, and a
change's start is the earliest time any of them sent."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from apps.deployments.models import Commit, Deployment, DeploymentCommit
from tests.factories import ConnectionFactory, token_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHAS = [f"{i:040x}" for i in range(5)]


def batch(hour: int) -> list[dict]:
    changes = [
        {"$type": "change", "change_id": sha, "time_created": f"2024-01-01T{hour:02d}:00:00Z"}
        for sha in SHAS
    ]
    deployment = {
        "$type": "deployment",
        "deploy_id": "v1",
        "time_created": "2024-01-02T00:00:00Z",
        "changes": SHAS,
    }
    return [*changes, deployment]


def test_concurrent_reports_of_the_same_history_make_one_row_each():
    connection = ConnectionFactory(kind="pulse")
    url = f"/v1/ingestion/cli?api_key={token_for(connection)}"

    def post(hour: int) -> int:
        try:
            response = Client().post(url, data=batch(hour), content_type="application/json")
            return response.status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, [10 + i % 8 for i in range(16)]))

    assert set(statuses) == {200}
    assert Deployment.objects.count() == 1
    assert DeploymentCommit.objects.count() == len(SHAS)
    assert Commit.objects.count() == len(SHAS)
    assert {c.start_at.hour for c in Commit.objects.all()} == {10}
