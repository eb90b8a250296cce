"""The connection's rules that turn a finished deploy job into a deployment."""

import hashlib
import re
from dataclasses import dataclass

from apps.ci.models import CIStatus, Job
from apps.connections.models import Connection, ConnectionKind
from apps.deployments.changes import CommitRef
from apps.deployments.models import DeploymentResult, Environment
from apps.deployments.services import DeploymentData, UpsertResult, upsert_deployment


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


_DEPLOYMENT_RESULTS: dict[str, str] = {
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
