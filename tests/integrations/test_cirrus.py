"""Cirrus CI webhook deliveries: builds and tasks, in any order, as often as they come."""

import random
from datetime import UTC, datetime

import pytest

from apps.ci.models import Job, Pipeline
from apps.ci.selectors import on_hold
from apps.deployments.models import Commit, Deployment
from apps.events.models import LifecycleEvent
from apps.ingest.models import Delivery
from apps.ingest.pipeline import replay
from tests.ci.cirrus import (
    BUILD_ID,
    REAL_TASK_DELIVERY,
    SECRET,
    SHA,
    TASK_ID,
    build_event,
    deliver,
    documented_shape,
    task_event,
)
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

CREATED_AT, EXECUTING_AT, COMPLETED_AT = 1722408865412, 1722408869403, 1722408873403
DEPLOY_ID = "6017965227769857"


def ms(value):
    return datetime.fromtimestamp(value / 1000, tz=UTC)


@pytest.fixture
def cirrus(db):
    return ConnectionFactory(kind="cirrus", secret=SECRET)


def lifecycle():
    """Every delivery of one build with a lint task and a production deploy task."""
    deploy = {"id": int(DEPLOY_ID), "name": "Deploy to production", "nameAlias": "deploy"}
    deliveries = [
        ("build", build_event("CREATED")),
        ("build", build_event("EXECUTING", old_status="CREATED")),
        ("build", build_event("COMPLETED", old_status="EXECUTING", durationInSeconds=25)),
    ]
    for extra in ({}, deploy):
        deliveries += [
            ("task", task_event("CREATED", CREATED_AT, **extra)),
            ("task", task_event("EXECUTING", EXECUTING_AT, old_status="CREATED", **extra)),
            (
                "task",
                task_event(
                    "COMPLETED",
                    COMPLETED_AT,
                    old_status="EXECUTING",
                    durationInSeconds=4,
                    **extra,
                ),
            ),
        ]
    return deliveries


def final_state():
    build = Pipeline.objects.get()
    return {
        "build": (
            build.status,
            build.original_status,
            build.duration_seconds,
            build.started_at,
            build.finished_at,
        ),
        "tasks": sorted(
            (j.external_id, j.status, j.original_status, j.started_at, j.finished_at)
            for j in Job.objects.all()
        ),
        "deployments": sorted(
            (d.external_id, d.environment, d.result, d.finished_at)
            for d in Deployment.objects.all()
        ),
        "events": sorted(LifecycleEvent.objects.values_list("event", flat=True)),
    }


EXPECTED = {
    "build": ("SUCCESS", "COMPLETED", 25, ms(EXECUTING_AT), ms(COMPLETED_AT)),
    "tasks": [
        (TASK_ID, "SUCCESS", "COMPLETED", ms(EXECUTING_AT), ms(COMPLETED_AT)),
        (DEPLOY_ID, "SUCCESS", "COMPLETED", ms(EXECUTING_AT), ms(COMPLETED_AT)),
    ],
    "deployments": [(f"job:{DEPLOY_ID}", "PRODUCTION", "SUCCESS", ms(COMPLETED_AT))],
    "events": [
        "build.started",
        "build.succeeded",
        "deployment.succeeded",
        "task.succeeded",
        "task.succeeded",
    ],
}


def test_the_real_delivery_is_stored_with_ids_as_strings(api, cirrus):
    response = deliver(api, cirrus, REAL_TASK_DELIVERY)

    assert response.status_code == 200, response.json()
    build = Pipeline.objects.get()
    assert build.external_id == BUILD_ID
    assert build.repository_external_id == "5129885287448576"
    assert build.repository.url == "https://github.com/edigaryev/awesome-system-calls"
    assert (build.branch, build.commit_sha) == ("main", SHA)
    assert build.commit_at == ms(1722406690000)
    assert build.triggered_by == "edigaryev"
    assert build.name == "Periodic update (#7)"
    assert (build.status, build.original_status) == ("IN_PROGRESS", "EXECUTING")
    task = Job.objects.get()
    assert (task.external_id, task.name, task.pipeline) == (TASK_ID, "Lint (cargo fmt)", build)
    assert (task.status, task.original_status) == ("IN_PROGRESS", "EXECUTING")
    assert task.started_at == ms(EXECUTING_AT)
    assert task.finished_at is None
    assert (task.repository, task.branch, task.commit_sha) == (build.repository, "main", SHA)
    assert task.properties["name_alias"] == {"type": "string", "value": "lint"}
    assert response.json()["task"]["external_id"] == TASK_ID
    assert not Deployment.objects.exists()  # a lint task is no deployment


def test_the_documented_shape_is_read_like_the_flat_one(api, cirrus):
    payload = documented_shape(task_event("COMPLETED", COMPLETED_AT, durationInSeconds=4))

    assert deliver(api, cirrus, payload).status_code == 200
    task = Job.objects.get()
    assert (task.status, task.duration_seconds) == ("SUCCESS", 4)
    assert task.finished_at == ms(COMPLETED_AT)


def test_a_build_lifecycle_in_order(api, cirrus):
    for event, payload in lifecycle():
        assert deliver(api, cirrus, payload, event=event).status_code == 200

    assert final_state() == EXPECTED


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_replayed_twice_and_shuffled_it_ends_in_the_same_state(api, cirrus, seed):
    deliveries = lifecycle() * 2
    random.Random(seed).shuffle(deliveries)

    for event, payload in deliveries:
        assert deliver(api, cirrus, payload, event=event).status_code == 200

    assert final_state() == EXPECTED


def test_in_reverse_order_it_ends_in_the_same_state(api, cirrus):
    for event, payload in reversed(lifecycle()):
        assert deliver(api, cirrus, payload, event=event).status_code == 200

    assert final_state() == EXPECTED


def test_a_repeated_delivery_is_answered_as_a_duplicate(api, cirrus):
    first = deliver(api, cirrus, REAL_TASK_DELIVERY)
    again = deliver(api, cirrus, REAL_TASK_DELIVERY)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert list(Delivery.objects.order_by("id").values_list("status", flat=True)) == [
        "accepted",
        "duplicate",
    ]


def test_an_old_delivery_reprocessed_late_does_not_move_a_task_back(api, cirrus):
    deliver(api, cirrus, task_event("EXECUTING", EXECUTING_AT))
    old = Delivery.objects.get()
    deliver(api, cirrus, task_event("COMPLETED", COMPLETED_AT, old_status="EXECUTING"))

    response = replay(delivery=old)

    assert response.data["task"]["status"] == "stale"
    assert Job.objects.get().status == "SUCCESS"


def test_a_build_waiting_for_approval_is_on_hold_until_approved(api, cirrus):
    deliver(api, cirrus, build_event("CREATED"), event="build")
    deliver(api, cirrus, build_event("NEEDS_APPROVAL", old_status="CREATED"), event="build")

    build = Pipeline.objects.get()
    assert (build.status, build.original_status) == ("ON_HOLD", "NEEDS_APPROVAL")
    [waiting] = on_hold(project_id=cirrus.project_id)
    assert (waiting.kind, waiting.external_id, waiting.branch) == ("build", BUILD_ID, "main")
    event = LifecycleEvent.objects.get()
    assert event.name == "cirrus:edigaryev/awesome-system-calls:build.needs_approval"

    deliver(api, cirrus, build_event("TRIGGERED", old_status="NEEDS_APPROVAL"), event="build")

    assert Pipeline.objects.get().status == "QUEUED"
    assert on_hold(project_id=cirrus.project_id) == []


def test_a_late_created_delivery_does_not_undo_an_approval_wait(api, cirrus):
    deliver(api, cirrus, build_event("NEEDS_APPROVAL", old_status="CREATED"), event="build")
    deliver(api, cirrus, build_event("CREATED"), event="build")

    assert Pipeline.objects.get().status == "ON_HOLD"


def test_a_paused_manual_task_is_on_hold(api, cirrus):
    deliver(api, cirrus, task_event("PAUSED", CREATED_AT))

    assert Job.objects.get().status == "ON_HOLD"
    [waiting] = on_hold(project_id=cirrus.project_id)
    assert (waiting.kind, waiting.since) == ("job", ms(CREATED_AT))


def test_a_re_run_takes_a_finished_build_back_to_executing(api, cirrus):
    deliver(api, cirrus, build_event("FAILED", old_status="EXECUTING"), event="build")
    deliver(api, cirrus, build_event("EXECUTING", old_status="FAILED"), event="build")
    assert Pipeline.objects.get().status == "IN_PROGRESS"

    deliver(api, cirrus, build_event("COMPLETED", old_status="EXECUTING"), event="build")
    assert Pipeline.objects.get().status == "SUCCESS"
    assert sorted(LifecycleEvent.objects.values_list("event", flat=True)) == [
        "build.failed",
        "build.started",
        "build.succeeded",
    ]


def test_errored_builds_and_failed_tasks_are_failures(api, cirrus):
    deliver(api, cirrus, build_event("ERRORED", old_status="EXECUTING"), event="build")
    deliver(api, cirrus, task_event("FAILED", COMPLETED_AT, build_status="ERRORED"))

    assert Pipeline.objects.get().status == "FAILURE"
    assert Job.objects.get().status == "FAILURE"
    assert sorted(LifecycleEvent.objects.values_list("event", flat=True)) == [
        "build.failed",
        "task.failed",
    ]


def test_a_deploy_task_on_a_branch_that_is_not_production_deploys_to_staging(api, cirrus):
    payload = task_event("COMPLETED", COMPLETED_AT, name="deploy", durationInSeconds=30)
    payload["build"]["branch"] = "feature/x"

    deliver(api, cirrus, payload)

    deployment = Deployment.objects.get()
    assert (deployment.environment, deployment.result) == ("STAGING", "SUCCESS")
    assert deployment.ref_name == "feature/x"
    assert deployment.pipeline_id == BUILD_ID
    assert deployment.started_at == ms(COMPLETED_AT - 30_000)
    # The change's start is the commit time Cirrus reports, for lead time.
    assert Commit.objects.get(sha=SHA).start_at == ms(1722406690000)


def test_the_production_pattern_may_name_a_branch(api, db):
    connection = ConnectionFactory(
        kind="cirrus", secret=SECRET, settings={"production_pattern": "^main$"}
    )
    deliver(api, connection, task_event("FAILED", COMPLETED_AT, name="deploy"))

    deployment = Deployment.objects.get()
    assert (deployment.environment, deployment.result) == ("PRODUCTION", "FAILURE")


def test_an_aborted_deploy_task_is_an_aborted_attempt_and_skipped_is_none(api, cirrus):
    deliver(api, cirrus, task_event("ABORTED", COMPLETED_AT, name="deploy prod"))
    deliver(api, cirrus, task_event("SKIPPED", COMPLETED_AT, name="deploy prod", id=1))

    assert list(Deployment.objects.values_list("result", flat=True)) == ["ABORT"]


def test_audit_events_are_recorded_and_ignored(api, cirrus):
    audit = {
        "id": "bb2bde61-24e6-475c-a8a7-3f03bedcbd61",
        "type": "graphql.mutation",
        "timestamp": 1722518406287,
        "actor": {"id": 5702969901449216, "username": "edigaryev"},
        "action": "created",
        "repository": {},
        "build": {},
        "task": {},
    }

    response = deliver(api, cirrus, audit, event="audit_event")

    assert response.status_code == 200
    assert not Pipeline.objects.exists()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.route, delivery.connection) == ("accepted", "cirrus", cirrus)


def test_a_deploy_task_names_its_deployment_as_the_follow_up_work(api, cirrus):
    deliver(api, cirrus, task_event("COMPLETED", COMPLETED_AT, name="deploy"))

    deployment = Deployment.objects.get()
    assert Delivery.objects.get().effects == {"deployments": [deployment.pk]}


def test_a_task_that_deploys_nothing_has_no_follow_up_work_and_is_processed_at_once(api, cirrus):
    deliver(api, cirrus, task_event("COMPLETED", COMPLETED_AT))

    assert Job.objects.exists()
    assert not Deployment.objects.exists()
    delivery = Delivery.objects.get()
    assert delivery.effects == {}
    assert delivery.processed_at is not None
