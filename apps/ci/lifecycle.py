"""The lifecycle events a build or job's change of status records (what triggers react to)."""

from apps.ci.models import CIStatus, Job, Pipeline, StatusFields
from apps.connections.models import Connection
from apps.events.services import record_event

_PIPELINE_EVENTS: dict[str, str] = {
    CIStatus.IN_PROGRESS: "build.started",
    CIStatus.ON_HOLD: "build.needs_approval",
    CIStatus.FAILURE: "build.failed",
    CIStatus.SUCCESS: "build.succeeded",
    CIStatus.ABORTED: "build.aborted",
}
_TASK_EVENTS: dict[str, str] = {CIStatus.SUCCESS: "task.succeeded", CIStatus.FAILURE: "task.failed"}
_JOB_EVENTS: dict[str, str] = {
    CIStatus.SUCCESS: "job.succeeded",
    CIStatus.FAILURE: "job.failed",
    CIStatus.ON_HOLD: "job.on_hold",
}


def _repo_name(row: StatusFields) -> str:
    return row.repository.name if row.repository_id and row.repository else ""


def record_pipeline_event(*, connection: Connection, pipeline: Pipeline) -> None:
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


def record_job_event(*, connection: Connection, job: Job) -> None:
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
