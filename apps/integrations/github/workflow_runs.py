"""Completed workflow runs: a CI build with its one job, a deployment when the rules say so."""

from datetime import datetime
from typing import Any

from rest_framework import status

from apps.ci.reports import JobData, PipelineData, StatusReport
from apps.ci.services import record_build, record_job
from apps.connections.models import Connection
from apps.ingest.receivers import Outcome
from apps.integrations.github import serializers as s
from apps.integrations.github.answers import accepted, ignored, validated
from apps.integrations.github.mapping import COMPLETED_PROGRESS, RUN_CONCLUSIONS


def on_workflow_run(*, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
    data = validated(s.WorkflowRunSerializer, payload)
    run, repo = data["workflow_run"], data["repository"]
    if data["action"] != "completed":
        return ignored("workflow_run", "Only completed workflow runs are recorded.")
    ci_status = RUN_CONCLUSIONS.get(run["conclusion"].lower())
    if ci_status is None:
        return ignored("workflow_run", f"Conclusion {run['conclusion']!r} is not used.")
    report = StatusReport(
        status=ci_status,
        original_status=run["conclusion"].lower(),
        at=run["updated_at"],
        progress=COMPLETED_PROGRESS,
    )
    head_commit = run["head_commit"] or {}
    actor = (run["triggering_actor"] or {}).get("login", "")
    # A re-run is a new attempt: a failed deploy attempt stays counted beside its re-run.
    run_key = f"{run['id']}:{run['run_attempt']}"
    build = record_build(
        connection=connection,
        data=PipelineData(
            external_id=run_key,
            report=report,
            name=run["name"],
            repo_url=repo["html_url"],
            branch=run["head_branch"],
            commit_sha=run["head_sha"],
            commit_at=head_commit.get("timestamp"),
            triggered_by=actor,
        ),
        received_at=received_at,
    )
    # The run is the build's one job, so the connection's deployment rules apply to it
    # exactly as to any CI job.
    job = record_job(
        connection=connection,
        data=JobData(
            external_id=str(run["id"]),
            identity_key=f"workflow_run:{run_key}",
            report=report,
            name=run["name"],
            repo_url=repo["html_url"],
            branch=run["head_branch"],
            commit_sha=run["head_sha"],
            started_at=run["run_started_at"] or run["created_at"],
            finished_at=run["updated_at"],
            triggered_by=actor,
        ),
        received_at=received_at,
        pipeline=build.pipeline,
    )
    body = accepted("workflow_run", build_id=build.pipeline.pk, job_id=job.job.pk)
    effects: dict[str, list[Any]] = {}
    if job.deployment is not None:
        body["deployment_id"] = job.deployment.deployment.pk
        if job.deployment.changed:
            effects["deployments"] = [job.deployment.deployment.pk]
    return Outcome(
        status_code=status.HTTP_200_OK,
        body=body,
        duplicate=not (build.changed or job.changed),
        effects=effects,
    )
