"""Allstacks' Custom CD webhook: jobs stored, deploy jobs turned into deployments."""

import json

import pytest

from apps.ci.models import Job
from apps.deployments.models import Commit, Deployment
from apps.events.models import LifecycleEvent
from apps.ingest.models import Delivery
from apps.ingest.pipeline import replay
from tests.factories import ConnectionFactory, token_for

pytestmark = pytest.mark.django_db

# Verbatim from ../shared/seeds/003 (Allstacks Custom CD docs), escaped only to stay visible:
# indented with no-break spaces, curly and single quotes, a missing quote, a trailing comma.
SEED_SAMPLE = """{

\u00a0\u00a0 "job_id": "1",

\u00a0\u00a0 "status": "Succeeded",

\u00a0\u00a0 "commit_sha": "a2e7da86cc392417b0d9f605b28038aae80b002f",

\u00a0\u00a0 "triggered_by": "testuser@org.com

\u00a0\u00a0 "repo_id": \u201c12345\u201d,

\u00a0\u00a0 "service_id": 2,

\u00a0\u00a0 "job_start_time": 1704018030,

\u00a0\u00a0 "job_duration": 300,

\u00a0\u00a0 "job_type": "Production Deploy",

\u00a0\u00a0 "optional": [

\u00a0\u00a0 \u00a0 {

\u00a0\u00a0 \u00a0 \u00a0 "key": 'microservice',

\u00a0\u00a0 \u00a0 \u00a0 "value": ['frontend', 'backend'],

\u00a0\u00a0 \u00a0 \u00a0 "type": 'string'

\u00a0\u00a0 \u00a0 },

\u00a0\u00a0 \u00a0 {

\u00a0\u00a0 \u00a0 \u00a0 "key": 'lead_time',

\u00a0\u00a0 \u00a0 \u00a0 "value": 20,

\u00a0\u00a0 \u00a0 \u00a0 "type": 'duration'

\u00a0\u00a0 \u00a0 },

\u00a0\u00a0 \u00a0 {

\u00a0\u00a0 \u00a0 \u00a0 "key": 'float_key',

\u00a0\u00a0 \u00a0 \u00a0 "value": 20.5,

\u00a0\u00a0 \u00a0 \u00a0 "type": 'float'

\u00a0\u00a0 \u00a0 },

\u00a0\u00a0 \u00a0 {

\u00a0\u00a0 \u00a0 \u00a0 "key": 'qa_approved_on',

\u00a0\u00a0 \u00a0 \u00a0 "value": 1704018030,

\u00a0\u00a0 \u00a0 \u00a0 "type": 'timestamp'

\u00a0\u00a0 \u00a0 },

\u00a0\u00a0 ]

}"""


def seed_as_valid_json(service_id):
    """The same sample written as valid JSON, routed to `service_id`."""
    return {
        "job_id": "1",
        "status": "Succeeded",
        "commit_sha": "a2e7da86cc392417b0d9f605b28038aae80b002f",
        "triggered_by": "testuser@org.com",
        "repo_id": "12345",
        "service_id": service_id,
        "job_start_time": 1704018030,
        "job_duration": 300,
        "job_type": "Production Deploy",
        "optional": [
            {"key": "microservice", "value": ["frontend", "backend"], "type": "string"},
            {"key": "lead_time", "value": 20, "type": "duration"},
            {"key": "float_key", "value": 20.5, "type": "float"},
            {"key": "qa_approved_on", "value": 1704018030, "type": "timestamp"},
        ],
    }


@pytest.fixture
def allstacks(db):
    connection = ConnectionFactory(kind="allstacks")
    return connection, token_for(connection)


def post_job(api, allstacks, body, company_id="42"):
    _, token = allstacks
    data = body if isinstance(body, str) else json.dumps(body)
    return api.post(
        f"/webhook/company/{company_id}/cicd_job",
        data=data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_the_seed_sample_as_valid_json_makes_a_job_and_a_production_deployment(api, allstacks):
    connection, _ = allstacks
    response = post_job(api, allstacks, seed_as_valid_json(connection.pk))

    assert response.status_code == 201, response.json()
    job = Job.objects.get()
    assert (job.status, job.original_status) == ("SUCCESS", "Succeeded")
    assert job.external_id == "1"
    assert job.job_type == "Production Deploy"
    assert job.triggered_by == "testuser@org.com"
    assert job.repository.url == "12345"
    assert job.started_at.isoformat() == "2023-12-31T10:20:30+00:00"
    assert job.finished_at.isoformat() == "2023-12-31T10:25:30+00:00"
    assert job.duration_seconds == 300
    assert job.properties == {
        "microservice": {"type": "string", "value": ["frontend", "backend"]},
        "lead_time": {"type": "duration", "value": 20},
        "float_key": {"type": "float", "value": 20.5},
        "qa_approved_on": {"type": "timestamp", "value": 1704018030},
    }
    deployment = Deployment.objects.get()
    assert job.deployment == deployment
    assert (deployment.environment, deployment.result) == ("PRODUCTION", "SUCCESS")
    assert deployment.commit_sha == "a2e7da86cc392417b0d9f605b28038aae80b002f"
    assert deployment.finished_at == job.finished_at
    assert list(deployment.commits.values_list("sha", flat=True)) == [job.commit_sha]
    assert response.json()["deployment"]["environment"] == "PRODUCTION"


def test_the_seed_sample_itself_is_refused_with_line_and_column(api, allstacks):
    response = post_job(api, allstacks, SEED_SAMPLE)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_json"
    # The first problem is the wiki's indentation, which the sender cannot see: it is named.
    assert error["message"] == (
        "Malformed JSON: Expecting property name enclosed in double quotes; "
        "found U+00A0 NO-BREAK SPACE (line 3, column 1)"
    )
    assert not Job.objects.exists()
    assert Delivery.objects.get().status == "rejected"


def test_jobs_that_are_not_production_deploy_to_the_non_production_environment(api, allstacks):
    connection, _ = allstacks
    body = seed_as_valid_json(connection.pk) | {"job_type": "Deploy to QA"}

    assert post_job(api, allstacks, body).status_code == 201
    assert Deployment.objects.get().environment == "STAGING"


def test_the_non_production_environment_is_a_connection_setting(api, db):
    connection = ConnectionFactory(
        kind="allstacks", settings={"non_production_environment": "TESTING"}
    )
    sender = (connection, token_for(connection))
    body = seed_as_valid_json(connection.pk)
    del body["job_type"]

    assert post_job(api, sender, body).status_code == 201
    job = Job.objects.get()
    assert job.job_type == "CUSTOM_CD_JOB"
    assert Deployment.objects.get().environment == "TESTING"


def test_a_connection_can_count_only_jobs_matching_the_deployment_pattern(api, db):
    connection = ConnectionFactory(
        kind="allstacks",
        settings={"all_jobs_are_deployments": False, "deployment_pattern": "(?i)release"},
    )
    sender = (connection, token_for(connection))
    tests = seed_as_valid_json(connection.pk) | {"job_id": "t", "job_type": "Integration tests"}
    release = seed_as_valid_json(connection.pk) | {"job_id": "r", "job_type": "Prod release"}

    post_job(api, sender, tests)
    post_job(api, sender, release)

    assert Job.objects.count() == 2
    deployment = Deployment.objects.get()
    assert deployment.name == "Prod release"
    assert Job.objects.get(external_id="t").deployment is None


def test_a_failed_job_is_a_failed_deploy_attempt(api, allstacks):
    connection, _ = allstacks
    post_job(api, allstacks, seed_as_valid_json(connection.pk) | {"status": "Failed"})

    assert Job.objects.get().status == "FAILURE"
    assert Deployment.objects.get().result == "FAILURE"


def test_a_job_on_hold_is_not_a_deployment_until_it_succeeds(api, allstacks):
    connection, _ = allstacks
    held = seed_as_valid_json(connection.pk) | {"status": "On Hold", "job_duration": 60}
    done = seed_as_valid_json(connection.pk) | {"job_duration": 900}

    first = post_job(api, allstacks, held)
    assert first.status_code == 201
    assert first.json()["deployment"] is None
    job = Job.objects.get()
    assert (job.status, job.original_status, job.finished_at) == ("ON_HOLD", "On Hold", None)
    assert not Deployment.objects.exists()

    second = post_job(api, allstacks, done)
    assert second.status_code == 200
    job.refresh_from_db()
    assert job.status == "SUCCESS"
    assert job.duration_seconds == 900
    assert Deployment.objects.get().finished_at == job.finished_at


def test_an_older_on_hold_report_arriving_late_does_not_undo_the_success(api, allstacks):
    connection, _ = allstacks
    post_job(api, allstacks, seed_as_valid_json(connection.pk) | {"job_duration": 900})
    late = post_job(
        api,
        allstacks,
        seed_as_valid_json(connection.pk) | {"status": "on hold", "job_duration": 60},
    )

    assert late.status_code == 200
    assert late.json()["status"] == "stale"
    assert Job.objects.get().status == "SUCCESS"
    assert Deployment.objects.get().result == "SUCCESS"


def test_job_id_is_not_unique_a_job_is_its_id_commit_and_start(api, allstacks):
    connection, _ = allstacks
    first = seed_as_valid_json(connection.pk)
    rerun = first | {"job_start_time": first["job_start_time"] + 3600}
    other_commit = first | {"commit_sha": "b" * 40}

    for body in (first, rerun, other_commit):
        assert post_job(api, allstacks, body).status_code == 201

    assert Job.objects.filter(external_id="1").count() == 3
    assert Deployment.objects.count() == 3


def test_reposting_the_same_job_changes_nothing(api, allstacks):
    connection, _ = allstacks
    body = seed_as_valid_json(connection.pk)
    created = post_job(api, allstacks, body)
    again = post_job(api, allstacks, body)

    assert (created.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "unchanged"
    assert again.json()["deployment"]["id"] == created.json()["deployment"]["id"]
    assert (Job.objects.count(), Deployment.objects.count()) == (1, 1)
    assert list(Delivery.objects.order_by("id").values_list("status", flat=True)) == [
        "accepted",
        "duplicate",
    ]


def test_repo_name_names_the_repository_and_repo_id_is_kept(api, allstacks):
    connection, _ = allstacks
    body = seed_as_valid_json(connection.pk) | {"repo_name": "https://github.com/acme/api.git"}

    post_job(api, allstacks, body)

    job = Job.objects.get()
    assert job.repository.url == "https://github.com/acme/api"
    assert job.repository_external_id == "12345"
    assert Deployment.objects.get().repository == job.repository


def test_the_deployed_commit_is_a_change_of_the_project(api, allstacks):
    connection, _ = allstacks
    sha = "c" * 64  # a SHA-256 repository
    post_job(api, allstacks, seed_as_valid_json(connection.pk) | {"commit_sha": sha.upper()})

    assert Job.objects.get().commit_sha == sha
    assert Commit.objects.get(project=connection.project).sha == sha


def test_blank_triggered_by_and_job_type_get_allstacks_defaults(api, allstacks):
    connection, _ = allstacks
    post_job(
        api,
        allstacks,
        seed_as_valid_json(connection.pk) | {"triggered_by": "", "job_type": None},
    )

    job = Job.objects.get()
    assert (job.triggered_by, job.job_type) == ("Custom CD Agent", "CUSTOM_CD_JOB")


def test_the_company_id_in_the_path_is_ignored(api, allstacks):
    connection, _ = allstacks
    for company in ("1", "acme-corp"):
        body = seed_as_valid_json(connection.pk) | {"job_id": company}
        assert post_job(api, allstacks, body, company_id=company).status_code == 201


def test_status_changes_are_lifecycle_events(api, allstacks):
    connection, _ = allstacks
    held = seed_as_valid_json(connection.pk) | {"status": "On Hold", "job_duration": 60}
    post_job(api, allstacks, held)
    post_job(api, allstacks, held)  # no change, no event
    post_job(api, allstacks, seed_as_valid_json(connection.pk))

    events = list(LifecycleEvent.objects.order_by("id").values_list("event", flat=True))
    assert events == ["job.on_hold", "job.succeeded", "deployment.succeeded"]
    assert LifecycleEvent.objects.filter(event="job.succeeded").get().name == (
        "allstacks:12345:job.succeeded"
    )


def test_a_deploy_job_names_its_deployment_as_the_follow_up_work(api, allstacks):
    connection, _ = allstacks
    post_job(api, allstacks, seed_as_valid_json(connection.pk))

    delivery = Delivery.objects.get()
    assert delivery.effects == {"deployments": [Deployment.objects.get().pk]}
    assert delivery.connection == connection


def test_a_job_that_deploys_nothing_has_no_follow_up_work_and_is_processed_at_once(api, allstacks):
    connection, _ = allstacks
    held = seed_as_valid_json(connection.pk) | {"status": "On Hold"}
    post_job(api, allstacks, held)

    assert Job.objects.exists()
    assert not Deployment.objects.exists()
    delivery = Delivery.objects.get()
    assert delivery.effects == {}
    assert delivery.processed_at is not None


def test_an_inbox_reprocess_finds_the_connection_from_the_body(api, allstacks):
    connection, _ = allstacks
    post_job(api, allstacks, seed_as_valid_json(connection.pk))

    response = replay(delivery=Delivery.objects.get())

    assert response.status_code == 200
    assert response.data["status"] == "unchanged"
    assert Job.objects.count() == 1
