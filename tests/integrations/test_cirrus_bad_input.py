"""Cirrus deliveries that are not signed right, not a known event or not valid get a 4xx in
the error shape, store no build or task, and stay in the inbox marked rejected."""

import json

import pytest

from apps.ci.models import Job, Pipeline
from apps.ingest.models import Delivery
from tests.assertions import assert_rejected
from tests.ci.cirrus import (
    REAL,
    REAL_TASK_DELIVERY,
    SECRET,
    build_event,
    deliver,
    documented_shape,
    sign,
)
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cirrus(db):
    return ConnectionFactory(kind="cirrus", secret=SECRET)


def with_changes(section, **changes):
    payload = json.loads(REAL_TASK_DELIVERY)
    payload[section].update(changes)
    return payload


def without(section, field):
    payload = json.loads(REAL_TASK_DELIVERY)
    del payload[section][field]
    return payload


def test_a_correct_signature_is_accepted_in_either_case(api, cirrus):
    body = REAL_TASK_DELIVERY.encode()
    response = deliver(api, cirrus, body, signature=sign(body).upper())
    assert response.status_code == 200


@pytest.mark.parametrize(
    "signature",
    [
        sign(REAL_TASK_DELIVERY.encode(), "another secret"),
        sign(REAL_TASK_DELIVERY.encode())[:-1],
        "sha256=" + sign(b"{}"),
        "not hex at all \u00e9",
    ],
)
def test_a_wrong_signature_is_401(api, cirrus, signature):
    response = deliver(api, cirrus, REAL_TASK_DELIVERY, signature=signature)
    assert_rejected(response, None, status=401)
    assert response.json()["error"]["code"] == "signature_invalid"


def test_a_signature_of_another_body_is_401(api, cirrus):
    response = deliver(
        api, cirrus, REAL_TASK_DELIVERY + " ", signature=sign(REAL_TASK_DELIVERY.encode())
    )
    assert_rejected(response, None, status=401)


def test_a_missing_signature_is_401(api, cirrus):
    response = deliver(api, cirrus, REAL_TASK_DELIVERY, secret=None)
    assert_rejected(response, None, status=401)
    assert response.json()["error"]["code"] == "signature_missing"


def test_a_connection_without_a_secret_cannot_check_signatures(api, db):
    connection = ConnectionFactory(kind="cirrus")
    response = deliver(api, connection, REAL_TASK_DELIVERY)
    assert_rejected(response, None, status=401)


def test_a_connection_may_allow_unsigned_deliveries(api, db):
    connection = ConnectionFactory(kind="cirrus", settings={"allow_unsigned": True})
    assert deliver(api, connection, REAL_TASK_DELIVERY, secret=None).status_code == 200


def test_allowing_unsigned_deliveries_never_accepts_a_wrong_signature(api, db):
    connection = ConnectionFactory(kind="cirrus", secret=SECRET, settings={"allow_unsigned": True})
    response = deliver(api, connection, REAL_TASK_DELIVERY, secret="guess")
    assert_rejected(response, None, status=401)


def test_a_disabled_connection_is_refused(api, db):
    connection = ConnectionFactory(kind="cirrus", secret=SECRET, is_active=False)
    assert_rejected(deliver(api, connection, REAL_TASK_DELIVERY), None, status=401)


@pytest.mark.parametrize("event", ["push", "BUILDS", ""])
def test_an_unknown_event_is_400(api, cirrus, event):
    assert_rejected(deliver(api, cirrus, REAL_TASK_DELIVERY, event=event), "X-Cirrus-Event")


def test_an_unknown_event_is_400_even_with_a_body_accepted_before(api, cirrus):
    assert deliver(api, cirrus, REAL_TASK_DELIVERY).status_code == 200

    response = deliver(api, cirrus, REAL_TASK_DELIVERY, event="push")

    assert response.status_code == 400
    assert "X-Cirrus-Event" in response.json()["error"]["fields"]
    assert Delivery.objects.order_by("id").last().status == "rejected"


def test_a_missing_event_header_is_400(api, cirrus):
    assert_rejected(deliver(api, cirrus, REAL_TASK_DELIVERY, event=None), "X-Cirrus-Event")


@pytest.mark.parametrize(
    "body", ["not json", "[1, 2]", '"a string"', '{"build": {}, "build": {}}', "", b"\xff"]
)
def test_non_json_bodies_are_400(api, cirrus, body):
    response = deliver(api, cirrus, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert Delivery.objects.get().status == "rejected"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (without("build", "id"), "build.id"),
        (without("build", "status"), "build.status"),
        (without("task", "id"), "task.id"),
        (without("task", "name"), "task.name"),
        (without("task", "status"), "task.status"),
        (with_changes("build", status="RUNNING"), "build.status"),
        (with_changes("task", status="NEEDS_APPROVAL"), "task.status"),
        (with_changes("build", id=5.082236150611968e15), "build.id"),
        (with_changes("build", id=True), "build.id"),
        (with_changes("task", id=None), "task.id"),
        (with_changes("task", statusTimestamp="yesterday"), "task.statusTimestamp"),
        (with_changes("task", statusTimestamp=-1), "task.statusTimestamp"),
        (with_changes("task", durationInSeconds=-1), "task.durationInSeconds"),
        (with_changes("task", uniqueLabels="a,b"), "task.uniqueLabels"),
        (with_changes("build", changeIdInRepo="a b"), "build.changeIdInRepo"),
        (with_changes("repository", name="n" * 101), "repository.name"),
        (with_changes("build", branch="b" * 301), "build.branch"),
    ],
)
def test_invalid_task_deliveries_name_the_field(api, cirrus, payload, field):
    assert_rejected(deliver(api, cirrus, payload), field)


def test_the_longest_accepted_values_are_stored(api, cirrus):
    payload = with_changes("build", branch="b" * 300, changeMessageTitle="m" * 1000)
    payload["repository"].update(owner="o" * 100, name="n" * 100)
    payload["task"].update(name="t" * 500, nameAlias="a" * 200, uniqueLabels=["l" * 200] * 100)
    assert deliver(api, cirrus, payload).status_code == 200
    assert Job.objects.get().branch == "b" * 300


def test_an_id_too_long_to_be_an_id_is_400(api, cirrus):
    payload = with_changes("build", id=10**150)
    assert_rejected(deliver(api, cirrus, payload), "build.id")


def test_a_number_too_long_to_read_is_malformed_json_not_a_crash(api, cirrus):
    body = REAL_TASK_DELIVERY.replace("5082236150611968", "5" * 5000)
    response = deliver(api, cirrus, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert not Pipeline.objects.exists()


def test_a_task_event_needs_its_task(api, cirrus):
    assert_rejected(deliver(api, cirrus, build_event("EXECUTING"), event="task"), "task")


def test_a_build_event_needs_its_build(api, cirrus):
    payload = {"action": "created", "repository": REAL["repository"], "build": {}, "task": {}}
    assert_rejected(deliver(api, cirrus, payload, event="build"), "build")


def test_errors_in_the_documented_shape_are_named_under_data(api, cirrus):
    payload = documented_shape(with_changes("build", status="RUNNING"))
    assert_rejected(deliver(api, cirrus, payload), "data.build.status")


def test_a_data_section_that_is_not_an_object_is_400(api, cirrus):
    assert_rejected(deliver(api, cirrus, {"action": "created", "data": [1]}), "data")
