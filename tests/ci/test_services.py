"""The rules under every CI source: status ordering, and which jobs are deployments."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.ci.deploy_rules import deployment_external_id, deployment_rule
from apps.ci.models import Job
from apps.ci.reports import JobData, Order, StatusReport, compare_reports
from apps.ci.services import record_job
from tests.factories import BASE_TIME, ConnectionFactory


def report(original, progress, at=None, previous=""):
    return StatusReport(
        status="X",
        original_status=original,
        at=BASE_TIME + timedelta(seconds=at) if at is not None else None,
        progress=progress,
        previous_status=previous,
    )


def apply_all(reports):
    """What a row ends as when the reports arrive in this order."""
    current = reports[0]
    for incoming in reports[1:]:
        if compare_reports(current=current, incoming=incoming) is not Order.OLDER:
            current = incoming
    return current


TIMED = [report("CREATED", 0, 0), report("EXECUTING", 4, 5), report("COMPLETED", 5, 9)]
UNTIMED = [
    report("CREATED", 0),
    report("NEEDS_APPROVAL", 1, previous="CREATED"),
    report("TRIGGERED", 2, previous="NEEDS_APPROVAL"),
    report("EXECUTING", 3, previous="TRIGGERED"),
    report("COMPLETED", 4, previous="EXECUTING"),
]


@given(st.permutations(TIMED + TIMED))
def test_timed_reports_in_any_order_end_at_the_latest(order):
    assert apply_all(order).original_status == "COMPLETED"


@given(st.permutations(UNTIMED + UNTIMED))
def test_untimed_reports_in_any_order_end_at_the_furthest_status(order):
    assert apply_all(order).original_status == "COMPLETED"


def test_a_later_time_wins_over_the_lifecycle():
    finished = report("COMPLETED", 5, at=10)
    rerun = report("EXECUTING", 4, at=20)
    assert compare_reports(current=finished, incoming=rerun) is Order.NEWER
    assert compare_reports(current=rerun, incoming=finished) is Order.OLDER


def test_at_the_same_instant_the_further_status_wins():
    assert (
        compare_reports(current=report("EXECUTING", 4, at=5), incoming=report("FAILED", 5, at=5))
        is Order.NEWER
    )


def test_an_untimed_report_leaves_a_final_status_only_when_it_says_it_comes_from_it():
    failed = report("FAILED", 4)
    assert (
        compare_reports(current=failed, incoming=report("EXECUTING", 3, previous="FAILED"))
        is Order.NEWER
    )
    assert (
        compare_reports(current=failed, incoming=report("EXECUTING", 3, previous="TRIGGERED"))
        is Order.OLDER
    )
    assert compare_reports(current=failed, incoming=report("COMPLETED", 4)) is Order.OLDER


def test_the_same_status_again_is_the_same():
    assert (
        compare_reports(current=report("EXECUTING", 3), incoming=report("EXECUTING", 3))
        is Order.SAME
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "settings", "job_type", "name", "branch", "expected"),
    [
        ("allstacks", {}, "CUSTOM_CD_JOB", "", "", (True, "STAGING")),
        ("allstacks", {}, "Production Deploy", "", "", (True, "PRODUCTION")),
        (
            "allstacks",
            {"all_jobs_are_deployments": False},
            "Unit tests",
            "",
            "",
            (False, "STAGING"),
        ),
        ("cirrus", {}, "", "Lint", "main", (False, "STAGING")),
        ("cirrus", {}, "", "Deploy", "main", (True, "STAGING")),
        ("cirrus", {}, "", "deploy", "production", (True, "PRODUCTION")),
        ("cirrus", {"all_jobs_are_deployments": True}, "", "Lint", "main", (True, "STAGING")),
        (
            "cirrus",
            {"deployment_pattern": "^ship", "production_pattern": "^main$"},
            "",
            "ship it",
            "main",
            (True, "PRODUCTION"),
        ),
        (
            "devlake",
            {"non_production_environment": "DEVELOPMENT"},
            "deploy",
            "",
            "dev",
            (True, "DEVELOPMENT"),
        ),
    ],
)
def test_deployment_rules(kind, settings, job_type, name, branch, expected):
    connection = ConnectionFactory(kind=kind, settings=settings)
    rule = deployment_rule(connection=connection, job_type=job_type, name=name, branch=branch)
    assert (rule.is_deployment, rule.environment) == expected


def test_a_very_long_job_identity_still_gives_a_deployment_id_that_fits():
    job = Job(identity_key="x" * 300)
    assert len(deployment_external_id(job)) <= 200
    assert deployment_external_id(job) == deployment_external_id(Job(identity_key="x" * 300))
    assert deployment_external_id(Job(identity_key="abc")) == "job:abc"


@pytest.mark.django_db
def test_a_finished_job_without_a_time_ends_when_first_reported_finished():
    connection = ConnectionFactory(kind="cirrus")
    data = JobData(
        external_id="1",
        identity_key="1",
        report=StatusReport(status="SUCCESS", original_status="COMPLETED", progress=5),
    )
    first = record_job(connection=connection, data=data, received_at=BASE_TIME)
    again = record_job(connection=connection, data=data, received_at=BASE_TIME + timedelta(hours=1))

    assert first.job.finished_at == BASE_TIME
    assert again.changed is False
    assert Job.objects.get().finished_at == BASE_TIME
