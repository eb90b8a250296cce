"""A delivery costs a bounded number of queries whatever it carries."""

import json

import pytest

from tests.ci.cirrus import SECRET, deliver, task_event
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

# Inbox insert/update and duplicate check, connection (and token) lookups, the build and task
# rows with their repository, the deployment with its commit set, dirty day, lifecycle events
# and savepoints, the deployment's resolved keys: none of it grows with the size of the payload.
# The inline road (`make run`): the request path alone is tests/ingest/test_receipt_road.py's.
MAX_QUERIES_CIRRUS_TASK = 42
# On PostgreSQL the applier's claim adds two (its connections, then their advisory locks).
MAX_QUERIES_ALLSTACKS_JOB = 36


def test_a_cirrus_deploy_task_uses_a_bounded_number_of_queries(api, django_assert_max_num_queries):
    connection = ConnectionFactory(kind="cirrus", secret=SECRET)
    payload = task_event(
        "COMPLETED", 1722408873403, name="deploy production", uniqueLabels=["a"] * 100
    )
    with django_assert_max_num_queries(MAX_QUERIES_CIRRUS_TASK):
        response = deliver(api, connection, payload)
    assert response.json()["deployment"]["environment"] == "PRODUCTION"


def test_an_allstacks_job_with_every_optional_field_uses_a_bounded_number_of_queries(
    api, django_assert_max_num_queries
):
    connection = ConnectionFactory(kind="allstacks")
    body = {
        "job_id": "1",
        "status": "Succeeded",
        "commit_sha": "a" * 40,
        "repo_name": "acme/api",
        "service_id": connection.pk,
        "job_start_time": 1704018030,
        "job_duration": 300,
        "optional": [{"key": f"k{i}", "value": [1] * 20, "type": "integer"} for i in range(20)],
    }
    token = token_for(connection)
    with django_assert_max_num_queries(MAX_QUERIES_ALLSTACKS_JOB):
        response = api.post(
            "/webhook/company/1/cicd_job",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 201
