"""Writes for CI builds and jobs, and the rules that turn finished deploy jobs into deployments.

Every source's builds go through `record_build` and its jobs or tasks through `record_job`.
Deliveries repeat and arrive out of order, so a stored status only moves when the incoming
report is newer (`compare_reports`): the same reports in any order end in the same state.
"""

import enum
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Model

from apps.ci.models import FINAL_STATUSES, CIStatus, Job, Pipeline, StatusFields
from apps.connections.models import Connection, ConnectionKind
from apps.deployments.models import DeploymentResult, Environment, Repository
from apps.deployments.services import (
    CommitRef,
    DeploymentData,
    UpsertResult,
    ensure_repositories,
    upsert_deployment,
)
from apps.events.services import record_event

Row = TypeVar("Row", bound=StatusFields)


@dataclass(frozen=True)
class StatusReport:
    """One status as a sender reported it, with what orders it against other reports."""

    status: str  # a CIStatus
    original_status: str
    # When the status began, if the sender says; the strongest ordering evidence.
    at: datetime | None = None
    # Position of `original_status` in the sender's lifecycle (final statuses highest).
    progress: int = 0
    # The status before this change, if the sender says (Cirrus `old_status`).
    previous_status: str = ""


@dataclass(frozen=True)
class PipelineData:
    external_id: str
    report: StatusReport
    name: str = ""
    repo_url: str = ""
    repository_external_id: str = ""
    branch: str = ""
    commit_sha: str = ""
    commit_at: datetime | None = None
    duration_seconds: int | None = None
    triggered_by: str = ""


@dataclass(frozen=True)
class JobData:
    external_id: str
    identity_key: str
    report: StatusReport
    name: str = ""
    job_type: str = ""
    repo_url: str = ""
    repository_external_id: str = ""
    branch: str = ""
    commit_sha: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: int | None = None
    triggered_by: str = ""
    properties: Mapping[str, Any] = field(default_factory=dict)
    service: str = ""
    sender_refs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineWrite:
    pipeline: Pipeline
    created: bool
    changed: bool
    status_changed: bool
    stale: bool  # the report was older than the stored status and was not applied


@dataclass(frozen=True)
class JobWrite:
    job: Job
    created: bool
    changed: bool
    status_changed: bool
    stale: bool
    deployment: UpsertResult | None = None


class Order(enum.Enum):
    OLDER = "older"
    SAME = "same"
    NEWER = "newer"


def compare_reports(*, current: StatusReport, incoming: StatusReport) -> Order:
    """Is `incoming` newer than the stored status, the same one, or older?

    With a time on both, the later time wins (ties go to the later lifecycle position).
    Without, a report moves forward in the lifecycle, or leaves the stored status when it
    says it comes from exactly that status (a re-run of a finished build); anything else is
    an older delivery arriving late."""
    if current.at is not None and incoming.at is not None and incoming.at != current.at:
        return Order.NEWER if incoming.at > current.at else Order.OLDER
    if incoming.original_status == current.original_status:
        return Order.SAME
    both_timed = current.at is not None and incoming.at is not None
    if not both_timed and incoming.previous_status == current.original_status:
        return Order.NEWER
    return Order.NEWER if incoming.progress > current.progress else Order.OLDER


def _stored_report(row: StatusFields) -> StatusReport:
    return StatusReport(
        status=row.status,
        original_status=row.original_status,
        at=row.status_at,
        progress=row.status_progress,
    )


def _report_fields(report: StatusReport) -> dict[str, Any]:
    return {
        "status": report.status,
        "original_status": report.original_status,
        "status_at": report.at,
        "status_progress": report.progress,
    }


def _upsert(
    *,
    model: type[Row],
    connection: Connection,
    identity: dict[str, str],
    report: StatusReport,
    values: dict[str, Any],
    keep: frozenset[str],
    received_at: datetime,
) -> tuple[Row, bool, bool, bool, bool]:
    """Create or update one row under a row lock; return (row, created, changed,
    status_changed, stale). Fields in `keep` keep their stored value when `values` has none."""
    fields = {**values, **_report_fields(report)}
    queryset = model.objects.select_for_update()
    row = queryset.filter(connection=connection, **identity).first()
    if row is None:
        row = model(
            project_id=connection.project_id,
            connection=connection,
            status_changed_at=received_at,
            **identity,
            **fields,
        )
        try:
            with transaction.atomic():
                row.save()
            return row, True, True, True, False
        except IntegrityError:
            # A concurrent delivery created it first: apply this one as an update.
            row = queryset.get(connection=connection, **identity)
    if compare_reports(current=_stored_report(row), incoming=report) is Order.OLDER:
        return row, False, False, False, True
    status_changed = (row.status, row.original_status) != (
        report.status,
        report.original_status,
    )
    changed = [
        name
        for name, value in fields.items()
        if not (name in keep and value in (None, "")) and _differs(row, name, value)
    ]
    for name, value in fields.items():
        if isinstance(value, Model) and name not in changed:
            setattr(row, name, value)  # the same row as stored: cache it for later reads
    if not changed:
        return row, False, False, False, False
    if status_changed:
        fields["status_changed_at"] = received_at
        changed.append("status_changed_at")
    for name in changed:
        setattr(row, name, fields[name])
    row.save(update_fields=[*changed, "modified"])
    return row, False, True, status_changed, False


def _differs(row: StatusFields, name: str, value: Any) -> bool:
    if isinstance(value, Model):
        # Compare keys: reading the related object would cost a query.
        return getattr(row, row._meta.get_field(name).attname) != value.pk
    return getattr(row, name) != value


def _repository(*, connection: Connection, repo_url: str) -> Repository | None:
    if not repo_url:
        return None
    return ensure_repositories(project=connection.project, urls=[repo_url])[repo_url]


_DESCRIPTIVE = frozenset(
    {
        "name",
        "repository",
        "repository_external_id",
        "branch",
        "commit_sha",
        "commit_at",
        "triggered_by",
        "job_type",
        "started_at",
        "duration_seconds",
    }
)


def record_build(
    *, connection: Connection, data: PipelineData, received_at: datetime
) -> PipelineWrite:
    """Create or update the build `data` describes; an older report never moves it back."""
    with transaction.atomic(savepoint=False):
        values = {
            "name": data.name[:500],
            "repository": _repository(connection=connection, repo_url=data.repo_url),
            "repository_external_id": data.repository_external_id,
            "branch": data.branch,
            "commit_sha": data.commit_sha,
            "commit_at": data.commit_at,
            "duration_seconds": data.duration_seconds,
            "triggered_by": data.triggered_by,
        }
        pipeline, created, changed, status_changed, stale = _upsert(
            model=Pipeline,
            connection=connection,
            identity={"external_id": data.external_id},
            report=data.report,
            values=values,
            keep=_DESCRIPTIVE,
            received_at=received_at,
        )
        if changed:
            _refresh_pipeline_times(pipeline=pipeline, received_at=received_at, new=created)
        if status_changed:
            _pipeline_event(connection=connection, pipeline=pipeline)
    return PipelineWrite(
        pipeline=pipeline,
        created=created,
        changed=changed,
        status_changed=status_changed,
        stale=stale,
    )


def record_job(
    *,
    connection: Connection,
    data: JobData,
    received_at: datetime,
    pipeline: Pipeline | None = None,
) -> JobWrite:
    """Create or update a job or task; a finished deploy job upserts its deployment."""
    with transaction.atomic(savepoint=False):
        final = data.report.status in FINAL_STATUSES
        finished_at = (data.finished_at or data.report.at) if final else None
        # A job inside a build runs on the build's repository, branch and commit unless the
        # sender says otherwise.
        inherited = pipeline or Pipeline()
        repository = (
            _repository(connection=connection, repo_url=data.repo_url)
            if data.repo_url
            else inherited.repository
        )
        values: dict[str, Any] = {
            "external_id": data.external_id,
            "pipeline": pipeline,
            "name": data.name[:500],
            "job_type": data.job_type,
            "repository": repository,
            "repository_external_id": data.repository_external_id
            or inherited.repository_external_id,
            "branch": data.branch or inherited.branch,
            "commit_sha": data.commit_sha or inherited.commit_sha,
            "started_at": data.started_at,
            "duration_seconds": data.duration_seconds,
            "triggered_by": data.triggered_by,
            "properties": dict(data.properties),
            "service": data.service,
            "sender_refs": dict(data.sender_refs),
        }
        if not final or finished_at is not None:
            values["finished_at"] = finished_at
        job, created, changed, status_changed, stale = _upsert(
            model=Job,
            connection=connection,
            identity={"identity_key": data.identity_key},
            report=data.report,
            values=values,
            keep=_DESCRIPTIVE | {"pipeline"},
            received_at=received_at,
        )
        if job.is_final and job.finished_at is None:
            # The sender gave no time: the job ended when first reported finished, and
            # replays of that report leave the time alone.
            job.finished_at = received_at
            job.save(update_fields=["finished_at", "modified"])
        if changed and pipeline is not None:
            _refresh_pipeline_times(pipeline=pipeline, received_at=received_at)
        if status_changed:
            _job_event(connection=connection, job=job)
        deployment = None if stale else deploy_from_job(connection=connection, job=job)
    return JobWrite(
        job=job,
        created=created,
        changed=changed,
        status_changed=status_changed,
        stale=stale,
        deployment=deployment,
    )


def _refresh_pipeline_times(
    *, pipeline: Pipeline, received_at: datetime, new: bool = False
) -> None:
    """A build's start and end are those of its jobs; a build reported finished before any
    of its jobs ends at the time that report arrived, until the jobs say otherwise."""
    if new:
        spans = {"start": None, "end": None}  # a build just created has no jobs yet
    else:
        spans = pipeline.jobs.aggregate(start=Min("started_at"), end=Max("finished_at"))
    started_at = spans["start"] or pipeline.started_at
    finished_at = None
    if pipeline.is_final:
        finished_at = spans["end"] or pipeline.finished_at or received_at
    if (started_at, finished_at) != (pipeline.started_at, pipeline.finished_at):
        pipeline.started_at, pipeline.finished_at = started_at, finished_at
        pipeline.save(update_fields=["started_at", "finished_at", "modified"])


# Names from apps/events/vocabulary.py. A job inside a build is a "task"; a job reported on
# its own (Allstacks Custom CD) is a "job".
_PIPELINE_EVENTS = {
    CIStatus.IN_PROGRESS: "build.started",
    CIStatus.ON_HOLD: "build.needs_approval",
    CIStatus.FAILURE: "build.failed",
    CIStatus.SUCCESS: "build.succeeded",
    CIStatus.ABORTED: "build.aborted",
}
_TASK_EVENTS = {CIStatus.SUCCESS: "task.succeeded", CIStatus.FAILURE: "task.failed"}
_JOB_EVENTS = {
    CIStatus.SUCCESS: "job.succeeded",
    CIStatus.FAILURE: "job.failed",
    CIStatus.ON_HOLD: "job.on_hold",
}


def _repo_name(row: StatusFields) -> str:
    return row.repository.name if row.repository_id and row.repository else ""


def _pipeline_event(*, connection: Connection, pipeline: Pipeline) -> None:
    event = _PIPELINE_EVENTS.get(pipeline.status)
    if event is None:
        return
    record_event(
        connection=connection,
        repo=_repo_name(pipeline),
        event=event,
        occurred_at=pipeline.status_at or pipeline.finished_at or pipeline.modified,
        data={
            "pipeline_id": pipeline.pk,
            "external_id": pipeline.external_id,
            "status": pipeline.status,
            "original_status": pipeline.original_status,
            "branch": pipeline.branch,
            "commit_sha": pipeline.commit_sha,
            "triggered_by": pipeline.triggered_by,
        },
    )


def _job_event(*, connection: Connection, job: Job) -> None:
    events = _TASK_EVENTS if job.pipeline_id else _JOB_EVENTS
    event = events.get(job.status)
    if event is None:
        return
    record_event(
        connection=connection,
        repo=_repo_name(job),
        event=event,
        occurred_at=job.status_at or job.finished_at or job.modified,
        data={
            "job_id": job.pk,
            "external_id": job.external_id,
            "pipeline_id": job.pipeline_id,
            "name": job.name,
            "job_type": job.job_type,
            "status": job.status,
            "original_status": job.original_status,
            "branch": job.branch,
            "commit_sha": job.commit_sha,
            "triggered_by": job.triggered_by,
        },
    )


@dataclass(frozen=True)
class DeployRule:
    is_deployment: bool
    environment: str


def deployment_rule(*, connection: Connection, job_type: str, name: str, branch: str) -> DeployRule:
    """The connection's rules: which jobs deploy, and to which environment."""
    every_job = connection.setting("all_jobs_are_deployments")
    if every_job is None:
        # Custom CD services exist to report deployments; CI systems mostly run other jobs.
        every_job = connection.kind == ConnectionKind.ALLSTACKS
    deploy = re.compile(connection.setting("deployment_pattern"))
    production = re.compile(connection.setting("production_pattern"))
    is_deployment = every_job or any(deploy.search(text) for text in (job_type, name) if text)
    to_production = any(production.search(text) for text in (job_type, name, branch) if text)
    environment = (
        Environment.PRODUCTION
        if to_production
        else connection.setting("non_production_environment")
    )
    return DeployRule(is_deployment=is_deployment, environment=str(environment))


_DEPLOYMENT_RESULTS = {
    CIStatus.SUCCESS: DeploymentResult.SUCCESS,
    CIStatus.FAILURE: DeploymentResult.FAILURE,
    CIStatus.ABORTED: DeploymentResult.ABORT,
}


def deployment_external_id(job: Job) -> str:
    """Stable per job, so a repeated or updated job updates the same deployment."""
    external_id = f"job:{job.identity_key}"
    if len(external_id) <= 200:
        return external_id
    return "job:sha256:" + hashlib.sha256(job.identity_key.encode()).hexdigest()


def deploy_from_job(*, connection: Connection, job: Job) -> UpsertResult | None:
    """Upsert the deployment a finished deploy job stands for (None when it is not one).

    Skipped jobs and jobs on hold are not deployments; a failed or aborted one is a failed
    deploy attempt, which the metrics count apart (METRICS.md)."""
    result = _DEPLOYMENT_RESULTS.get(job.status)
    if result is None or not job.commit_sha:
        return None
    rule = deployment_rule(
        connection=connection, job_type=job.job_type, name=job.name, branch=job.branch
    )
    if not rule.is_deployment:
        return None
    repo_url = job.repository.url if job.repository_id and job.repository else ""
    pipeline = job.pipeline if job.pipeline_id else None
    finished_at = job.finished_at or job.status_at or job.modified
    written = upsert_deployment(
        connection=connection,
        data=DeploymentData(
            external_id=deployment_external_id(job),
            environment=rule.environment,
            result=result,
            name=job.name or job.job_type,
            repo_url=repo_url,
            ref_name=job.branch,
            commit_sha=job.commit_sha,
            pipeline_id=pipeline.external_id if pipeline else "",
            service=job.service,
            started_at=job.started_at,
            finished_at=finished_at,
            commits=[
                CommitRef(
                    sha=job.commit_sha,
                    repo_url=repo_url,
                    ref_name=job.branch,
                    authored_at=pipeline.commit_at if pipeline else None,
                )
            ],
        ),
    )
    if job.deployment_id != written.deployment.pk:
        job.deployment = written.deployment
        Job.objects.filter(pk=job.pk).update(deployment=written.deployment)
    return written
