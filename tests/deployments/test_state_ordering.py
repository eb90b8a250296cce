"""Issue 16 findings 9 and 13 for deployments, in `upsert_deployment`: a finished deployment
never moves back to in progress, and an identical retry of a deployment sent without a finish
time keeps the first arrival's time (a retry after midnight does not move it to another day)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from apps.deployments.changes import CommitRef
from apps.deployments.models import Deployment
from apps.deployments.services import DeploymentData, upsert_deployment
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

SHA = "015e3d3b480e417aede5a1293bd61de9b0fd051d"
T0 = datetime(2024, 3, 1, 23, 50, tzinfo=UTC)


def data(**overrides) -> DeploymentData:
    values = {
        "external_id": "rollout-1",
        "finished_at": T0,
        "started_at": T0 - timedelta(minutes=5),
        "commits": [CommitRef(sha=SHA, repo_url="https://github.com/acme/api")],
    }
    return DeploymentData(**(values | overrides))


def test_a_finished_deployment_never_moves_back_to_in_progress():
    connection = ConnectionFactory()
    upsert_deployment(connection=connection, data=data(result="SUCCESS"))

    late = upsert_deployment(
        connection=connection, data=data(result="IN_PROGRESS", finished_at=None)
    )

    assert (late.changed, late.stale) == (False, True)
    stored = Deployment.objects.get()
    assert (stored.result, stored.finished_at) == ("SUCCESS", T0)


def test_a_failed_deployment_may_still_succeed():
    connection = ConnectionFactory()
    upsert_deployment(connection=connection, data=data(result="FAILURE"))

    upsert_deployment(connection=connection, data=data(result="SUCCESS"))

    assert Deployment.objects.get().result == "SUCCESS"


def test_an_identical_retry_without_end_time_keeps_the_first_finish():
    connection = ConnectionFactory(kind="devlake")
    token = token_for(connection)
    body = {
        "id": "r-1",
        "repo_url": "https://github.com/acme/api",
        "commit_sha": SHA,
        "start_time": "2024-03-01T23:40:00+00:00",
    }

    def post():
        return Client().post(
            f"/api/rest/plugins/webhook/{connection.pk}/deployments",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    assert post().status_code in (200, 201)  # DevLake answers 200, as DevLake does
    first = Deployment.objects.get().finished_at
    Deployment.objects.update(finished_at=first - timedelta(hours=1))  # as if sent an hour ago
    kept = first - timedelta(hours=1)

    retry = post()

    assert retry.status_code in (200, 201), retry.content
    assert Deployment.objects.get().finished_at == kept
