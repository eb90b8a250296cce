"""Writes for CI builds and jobs: every source's builds go through `record_build` and its jobs
or tasks through `record_job` (what they report: `apps.ci.reports`; the lifecycle events they
record: `apps.ci.lifecycle`; finished deploy jobs become deployments: `apps.ci.deploy_rules`).
Deliveries repeat and arrive out of order, so a stored status only moves when the incoming
report is newer (`compare_reports`): the same reports in any order end in the same state.
"""

from datetime import datetime
from typing import Any, TypeVar, cast

from django.db import IntegrityError, transaction
from django.db.models import ForeignKey, Max, Min, Model

from apps.ci.deploy_rules import deploy_from_job
from apps.ci.lifecycle import record_job_event, record_pipeline_event
from apps.ci.models import FINAL_STATUSES, Job, Pipeline, StatusFields
from apps.ci.reports import (
    JobData,
    JobWrite,
    Order,
    PipelineData,
    PipelineWrite,
    StatusReport,
    compare_reports,
)
from apps.connections.models import Connection
from apps.deployments.changes import ensure_repositories
from apps.deployments.models import Repository

# What senders import with the writes.
__all__ = [
    "JobData",
    "JobWrite",
    "PipelineData",
    "PipelineWrite",
    "StatusReport",
    "compare_reports",
    "record_build",
    "record_job",
]

Row = TypeVar("Row", bound=StatusFields)


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
    queryset = model._default_manager.select_for_update()
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
        relation = cast(ForeignKey[Any, Any], row._meta.get_field(name))
        return getattr(row, relation.attname) != value.pk
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
            record_pipeline_event(connection=connection, pipeline=pipeline)
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
            record_job_event(connection=connection, job=job)
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
