"""Concurrent deliveries of one job make one row and one deployment, and end in the latest
status: the database keeps the promise (PostgreSQL row locks and unique constraints)."""

import json
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from apps.ci.models import Job, Pipeline
from apps.deployments.models import Deployment
from tests.ci.cirrus import SECRET, sign, task_event
from tests.factories import ConnectionFactory, token_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _post_many(requests: list[tuple[str, bytes, dict[str, str]]]) -> list[int]:
    def post(request: tuple[str, bytes, dict[str, str]]) -> int:
        url, body, headers = request
        try:
            return Client().post(url, data=body, content_type="application/json", **headers)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [response.status_code for response in pool.map(post, requests)]


def test_concurrent_allstacks_reports_of_one_job_make_one_job_and_one_deployment():
    connection = ConnectionFactory(kind="allstacks")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(connection)}"}
    base = {
        "job_id": "1",
        "commit_sha": "a" * 40,
        "repo_name": "acme/api",
        "service_id": connection.pk,
        "job_start_time": 1704018030,
        "job_type": "Production Deploy",
    }
    bodies = [base | {"status": "On Hold", "job_duration": 60}] * 8
    bodies += [base | {"status": "Succeeded", "job_duration": 600}] * 8
    random.Random(7).shuffle(bodies)
    url = "/webhook/company/1/cicd_job"

    statuses = _post_many([(url, json.dumps(b).encode(), headers) for b in bodies])

    assert set(statuses) <= {200, 201}
    job = Job.objects.get()
    assert (job.status, job.duration_seconds) == ("SUCCESS", 600)
    deployment = Deployment.objects.get()
    assert (deployment.environment, deployment.result) == ("PRODUCTION", "SUCCESS")


def test_concurrent_cirrus_task_updates_end_in_the_latest_status():
    connection = ConnectionFactory(kind="cirrus", secret=SECRET)
    url = f"/api/v1/connections/{connection.pk}/cirrus"
    payloads = [
        task_event("CREATED", 1722408865412, name="deploy prod"),
        task_event("EXECUTING", 1722408869403, old_status="CREATED", name="deploy prod"),
        task_event(
            "COMPLETED",
            1722408873403,
            old_status="EXECUTING",
            name="deploy prod",
            durationInSeconds=4,
        ),
    ] * 5
    random.Random(3).shuffle(payloads)
    requests = []
    for index, payload in enumerate(payloads):
        body = json.dumps(payload).encode()
        # Distinct delivery ids, so that every copy is processed rather than deduplicated.
        headers = {
            "HTTP_X_CIRRUS_EVENT": "task",
            "HTTP_X_CIRRUS_SIGNATURE": sign(body),
            "HTTP_X_DELIVERY_ID": f"d{index}",
        }
        requests.append((url, body, headers))

    statuses = _post_many(requests)

    assert set(statuses) == {200}
    assert Pipeline.objects.count() == 1
    assert Job.objects.get().status == "SUCCESS"
    assert Deployment.objects.get().result == "SUCCESS"
