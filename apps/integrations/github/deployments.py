"""Deployment statuses and published releases: deployments."""

from datetime import datetime
from typing import Any

from rest_framework import status

from apps.connections.models import Connection
from apps.deployments.changes import CommitRef
from apps.deployments.models import DeploymentResult, Environment
from apps.deployments.selectors import deployment_by_external_id
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.events.services import record_event
from apps.ingest.receivers import Outcome
from apps.integrations.github import serializers as s
from apps.integrations.github.answers import accepted, deployment_answer, ignored, validated
from apps.integrations.github.mapping import DEPLOYMENT_STATES, FULL_SHA, environment_for, is_late


def on_deployment_status(*, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
    data = validated(s.DeploymentStatusSerializer, payload)
    deployment, state_report = data["deployment"], data["deployment_status"]
    state = state_report["state"].lower()
    if state == "inactive":
        # GitHub retires the previous deployment of an environment this way; it did not
        # stop having happened.
        return ignored("deployment_status", "An inactive status changes nothing.")
    result = DEPLOYMENT_STATES.get(state, DeploymentResult.IN_PROGRESS)
    external_id = f"gh-deployment:{deployment['id']}"
    at = state_report["created_at"]
    stored = deployment_by_external_id(connection_id=connection.pk, external_id=external_id)
    if stored is not None and is_late(stored=stored, result=result, at=at):
        return ignored("deployment_status", "An older status arrived late.")
    repo = data["repository"]
    environment_name = state_report["environment"] or deployment["environment"]
    written = upsert_deployment(
        connection=connection,
        data=DeploymentData(
            external_id=external_id,
            environment=environment_for(
                environment_name, production=deployment["production_environment"]
            ),
            result=result,
            name=deployment["description"]
            or f"{deployment['task'] or 'deploy'} to {environment_name}",
            repo_url=repo["html_url"],
            ref_name=deployment["ref"],
            commit_sha=deployment["sha"],
            created_at=deployment["created_at"],
            started_at=deployment["created_at"],
            finished_at=None if result == DeploymentResult.IN_PROGRESS else at,
            commits=[
                CommitRef(
                    sha=deployment["sha"], repo_url=repo["html_url"], ref_name=deployment["ref"]
                )
            ],
        ),
    )
    return deployment_answer("deployment_status", written)


def on_release(*, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
    data = validated(s.ReleaseSerializer, payload)
    release, repo = data["release"], data["repository"]
    if data["action"] != "published":
        return ignored("release", f"Action {data['action']!r} is not used.")
    published_at = release["published_at"] or received_at
    recorded = record_event(
        connection=connection,
        repo=repo["full_name"],
        event="release.published",
        occurred_at=published_at,
        data={
            "tag": release["tag_name"],
            "name": release["name"],
            "url": release["html_url"],
            "prerelease": release["prerelease"],
        },
    )
    if not connection.setting("releases_are_deployments") or release["prerelease"]:
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=accepted("release", action="published", lifecycle_event=recorded.name),
        )
    # `target_commitish` is a sha only when the release was made from one (else a branch).
    sha = release["target_commitish"].lower()
    sha = sha if FULL_SHA.match(sha) else ""
    written = upsert_deployment(
        connection=connection,
        data=DeploymentData(
            external_id=f"gh-release:{release['id']}",
            environment=Environment.PRODUCTION,
            result=DeploymentResult.SUCCESS,
            name=release["name"] or release["tag_name"],
            repo_url=repo["html_url"],
            ref_name=release["tag_name"],
            commit_sha=sha,
            created_at=release["created_at"],
            started_at=published_at,
            finished_at=published_at,
            commits=[CommitRef(sha=sha, repo_url=repo["html_url"])] if sha else [],
        ),
    )
    return deployment_answer("release", written)
