"""GitLab webhooks: `POST /api/v1/connections/{id}/gitlab`.

GitLab sends the webhook's secret token as it is in `X-Gitlab-Token` (compared in constant time
with the connection's signing secret). Pushes and merged merge requests give changes and their
start, Deployment Hooks give deployments (Pipeline Hooks too, for deploy jobs without a GitLab
environment, by the connection's deployment rule), Release Hooks are kept as marks, and issues
or work items of type Incident (or labelled `incident_label`) are incidents. Every other hook is
answered 202 and kept in the inbox, so GitLab's webhook log stays green."""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rest_framework import status
from rest_framework.exceptions import ValidationError

from apps.ci.models import CIStatus
from apps.ci.services import JobData, PipelineData, StatusReport, record_build, record_job
from apps.connections.models import Connection
from apps.deployments.changes import CommitRef, record_change, record_changes
from apps.deployments.models import DeploymentResult, Environment
from apps.deployments.selectors import deployment_by_external_id
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.events.services import record_event
from apps.ingest.authentication import Signature
from apps.ingest.receivers import Inbound, Outcome, Receipt, Receiver, register
from apps.integrations import incidents
from apps.integrations.gitlab import serializers as s
from apps.issues.models import IssueStatus
from apps.issues.services import INCIDENT_TYPE, IssueData

TOKEN_HEADER = "X-Gitlab-Token"
EVENT_HEADER = "X-Gitlab-Event"
PROVIDER = "GitLab"
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
HOOKS = {
    "Push Hook": "push",
    "Merge Request Hook": "merge_request",
    "Deployment Hook": "deployment",
    "Pipeline Hook": "pipeline",
    "Release Hook": "release",
    "Issue Hook": "issue",
    "Confidential Issue Hook": "issue",
    "Work Item Hook": "issue",
}
# The body each hook's handler validates before it writes anything (`GitLabReceiver.check`).
BODIES: dict[str, type[Any]] = {
    "push": s.PushSerializer,
    "merge_request": s.MergeRequestSerializer,
    "deployment": s.DeploymentSerializer,
    "pipeline": s.PipelineSerializer,
    "release": s.ReleaseSerializer,
    "issue": s.IssueSerializer,
}
_TIERS = {
    "production": Environment.PRODUCTION,
    "staging": Environment.STAGING,
    "testing": Environment.TESTING,
    "development": Environment.DEVELOPMENT,
}
_DEPLOYMENT_STATUSES = {
    "success": DeploymentResult.SUCCESS,
    "failed": DeploymentResult.FAILURE,
    "canceled": DeploymentResult.ABORT,
}
_JOB_STATUSES = {
    "success": CIStatus.SUCCESS,
    "failed": CIStatus.FAILURE,
    "canceled": CIStatus.ABORTED,
    "skipped": CIStatus.SKIPPED,
    "manual": CIStatus.ON_HOLD,
}
_FINAL_PROGRESS = 10


def _accepted(event: str, **body: Any) -> dict[str, Any]:
    return {"event": event, "status": "accepted", **body}


def gitlab_token(secret: str, body: bytes) -> str:
    """GitLab sends the secret token itself, not a signature of the body."""
    return secret


SECRET_TOKEN = Signature(
    header=TOKEN_HEADER,
    sign=gitlab_token,
    setup=f"set the connection's secret as the {PROVIDER} webhook's secret token",
    unsigned="never",
    what="The webhook's secret token, as set on the connection",
)


@register
class GitLabReceiver(Receiver):
    route = "gitlab"
    authentication = SECRET_TOKEN

    def delivery_id(self, inbound: Inbound) -> str:
        # GitLab repeats Idempotency-Key on a retry; older versions only send the event UUID
        # (per webhook, so a group and a project webhook sending one event stay apart).
        event = inbound.headers.get("X-Gitlab-Event-UUID", "").strip()
        hook = inbound.headers.get("X-Gitlab-Webhook-UUID", "").strip()
        return super().delivery_id(inbound) or (f"{hook}:{event}"[:200] if event else "")

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt | None:
        hook = self.hook(inbound)
        if hook not in HOOKS:
            return None  # a hook DORA Hub does not use: answered at once
        data = self.validate(BODIES[HOOKS[hook]], payload)
        if HOOKS[hook] == "merge_request":
            _landed_sha(data["object_attributes"])  # a merged one must name its commit
        return Receipt(body={"event": HOOKS[hook]})

    @staticmethod
    def hook(inbound: Inbound) -> str:
        hook = inbound.headers.get(EVENT_HEADER, "").strip()
        if not hook:
            raise ValidationError({EVENT_HEADER: ["This header is required."]})
        return hook

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        hook = self.hook(inbound)
        if hook not in HOOKS:
            return incidents.ignored(hook, "DORA Hub does not use this hook.")
        handlers: dict[str, Callable[..., Outcome]] = {
            "push": self.on_push,
            "merge_request": self.on_merge_request,
            "deployment": self.on_deployment,
            "pipeline": self.on_pipeline,
            "release": self.on_release,
            "issue": self.on_issue,
        }
        handler = handlers[HOOKS[hook]]
        return handler(connection=connection, payload=payload, received_at=inbound.received_at)

    def on_push(self, *, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
        data = self.validate(s.PushSerializer, payload)
        project = data["project"]
        refs = [
            CommitRef(
                sha=commit["id"],
                repo_url=project["web_url"],
                message=commit["message"],
                authored_at=commit["timestamp"],
            )
            for commit in data["commits"]
        ]
        new = record_changes(project=connection.project, refs=refs, reported_at=received_at)
        recorded = record_event(
            connection=connection,
            repo=project["path_with_namespace"],
            event="push",
            occurred_at=received_at,
            data={
                "ref": data["ref"],
                "before": data["before"],
                "after": data["after"],
                "commit_count": data["total_commits_count"] or len(refs),
                "commits": [ref.sha for ref in refs[:20]],
                "pusher": data["user_username"],
            },
        )
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=_accepted(
                "push", lifecycle_event=recorded.name, changes=len(refs), new_changes=new
            ),
        )

    def on_merge_request(
        self, *, connection: Connection, payload: Any, received_at: datetime
    ) -> Outcome:
        data = self.validate(s.MergeRequestSerializer, payload)
        mr, project = data["object_attributes"], data["project"]
        details = {
            "number": mr["iid"],
            "title": mr["title"],
            "url": mr["url"],
            "created_at": mr["created_at"].isoformat(),
            "base": mr["target_branch"],
            "head": mr["source_branch"],
        }
        sha = _landed_sha(mr)
        if sha:
            merged_at = mr["updated_at"] or received_at
            record_change(
                project=connection.project,
                sha=sha,
                reported_at=mr["created_at"],
                merged_at=merged_at,
                repo_url=project["web_url"],
                message=mr["title"],
            )
            event, occurred_at = "pull_request.merged", merged_at
            details |= {"merged_at": merged_at.isoformat(), "merge_commit_sha": sha}
        elif mr["action"] == "open":
            event, occurred_at = "pull_request.opened", mr["created_at"]
        elif mr["action"] == "close":
            event, occurred_at = "pull_request.closed", mr["updated_at"] or received_at
        else:
            return incidents.ignored("merge_request", f"Action {mr['action']!r} is not used.")
        recorded = record_event(
            connection=connection,
            repo=project["path_with_namespace"],
            event=event,
            occurred_at=occurred_at,
            data=details,
        )
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=_accepted("merge_request", action=mr["action"], lifecycle_event=recorded.name),
        )

    def on_deployment(
        self, *, connection: Connection, payload: Any, received_at: datetime
    ) -> Outcome:
        data = self.validate(s.DeploymentSerializer, payload)
        result = _DEPLOYMENT_STATUSES.get(data["status"].lower(), DeploymentResult.IN_PROGRESS)
        external_id = f"gl-deployment:{data['deployment_id']}"
        at = data["status_changed_at"]
        stored = deployment_by_external_id(connection_id=connection.pk, external_id=external_id)
        if stored is not None and _is_late(stored=stored, result=result, at=at):
            return incidents.ignored("deployment", "An older status arrived late.")
        project = data["project"]
        sha = data["commit_url"].rstrip("/").rsplit("/", 1)[-1].lower()
        sha = sha if FULL_SHA.match(sha) else ""
        environment = _TIERS.get(data["environment_tier"].lower()) or _named_environment(
            connection, data["environment"]
        )
        written = upsert_deployment(
            connection=connection,
            data=DeploymentData(
                external_id=external_id,
                environment=environment,
                result=result,
                name=f"deploy to {data['environment']}",
                repo_url=project["web_url"],
                ref_name=data["ref"],
                commit_sha=sha,
                started_at=at if result == DeploymentResult.IN_PROGRESS else None,
                finished_at=None if result == DeploymentResult.IN_PROGRESS else at,
                commits=[CommitRef(sha=sha, repo_url=project["web_url"])] if sha else [],
            ),
        )
        deployment = written.deployment
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=_accepted(
                "deployment",
                deployment_id=deployment.pk,
                environment=deployment.environment,
                result=deployment.result,
            ),
            duplicate=not written.changed,
            effects={"deployments": [deployment.pk]} if written.changed else {},
        )

    def on_pipeline(
        self, *, connection: Connection, payload: Any, received_at: datetime
    ) -> Outcome:
        data = self.validate(s.PipelineSerializer, payload)
        pipeline, project = data["object_attributes"], data["project"]
        pipeline_status = _JOB_STATUSES.get(pipeline["status"].lower())
        if pipeline_status is None:
            return incidents.ignored("pipeline", "Only finished pipelines are recorded.")
        actor = (data["user"] or {}).get("username", "")
        report = StatusReport(
            status=pipeline_status,
            original_status=pipeline["status"],
            at=pipeline["finished_at"],
            progress=_FINAL_PROGRESS,
        )
        build = record_build(
            connection=connection,
            data=PipelineData(
                external_id=str(pipeline["id"]),
                report=report,
                name=pipeline["name"] or f"Pipeline #{pipeline['id']}",
                repo_url=project["web_url"],
                branch=pipeline["ref"],
                commit_sha=pipeline["sha"],
                commit_at=(data["commit"] or {}).get("timestamp"),
                triggered_by=actor,
            ),
            received_at=received_at,
        )
        effects: dict[str, list[Any]] = {}
        changed = build.changed
        for job in data["builds"]:
            job_status = _JOB_STATUSES.get(job["status"].lower())
            # Jobs with a GitLab environment are reported by the Deployment Hook already.
            if job_status is None or job["environment"]:
                continue
            written = record_job(
                connection=connection,
                data=JobData(
                    external_id=str(job["id"]),
                    identity_key=f"gitlab-job:{job['id']}",
                    report=StatusReport(
                        status=job_status,
                        original_status=job["status"],
                        at=job["finished_at"],
                        progress=_FINAL_PROGRESS,
                    ),
                    name=job["name"],
                    job_type=job["stage"],
                    repo_url=project["web_url"],
                    branch=pipeline["ref"],
                    commit_sha=pipeline["sha"],
                    started_at=job["started_at"],
                    finished_at=job["finished_at"],
                    triggered_by=actor,
                ),
                received_at=received_at,
                pipeline=build.pipeline,
            )
            changed = changed or written.changed
            if written.deployment is not None and written.deployment.changed:
                effects.setdefault("deployments", []).append(written.deployment.deployment.pk)
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=_accepted("pipeline", build_id=build.pipeline.pk),
            duplicate=not changed,
            effects=effects,
        )

    def on_release(self, *, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
        data = self.validate(s.ReleaseSerializer, payload)
        if data["action"] != "create":
            return incidents.ignored("release", f"Action {data['action']!r} is not used.")
        project = data["project"]
        released_at = data["released_at"] or data["created_at"]
        recorded = record_event(
            connection=connection,
            repo=project["path_with_namespace"],
            event="release.published",
            occurred_at=released_at,
            data={"tag": data["tag"], "name": data["name"] or "", "url": data["url"]},
        )
        body = _accepted("release", action="create", lifecycle_event=recorded.name)
        if not connection.setting("releases_are_deployments"):
            return Outcome(status_code=status.HTTP_200_OK, body=body)
        sha = (data["commit"] or {}).get("id", "")
        written = upsert_deployment(
            connection=connection,
            data=DeploymentData(
                external_id=f"gl-release:{data['id']}",
                environment=Environment.PRODUCTION,
                result=DeploymentResult.SUCCESS,
                name=data["name"] or data["tag"],
                repo_url=project["web_url"],
                ref_name=data["tag"],
                commit_sha=sha,
                created_at=data["created_at"],
                started_at=released_at,
                finished_at=released_at,
                commits=[CommitRef(sha=sha, repo_url=project["web_url"])] if sha else [],
            ),
        )
        return Outcome(
            status_code=status.HTTP_200_OK,
            body={**body, "deployment_id": written.deployment.pk},
            duplicate=not written.changed,
            effects={"deployments": [written.deployment.pk]} if written.changed else {},
        )

    def on_issue(self, *, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
        data = self.validate(s.IssueSerializer, payload)
        issue, project = data["object_attributes"], data["project"]
        kind = (issue["type"] or issue["issue_type"] or "").strip().lower()
        label = connection.setting("incident_label").strip().lower()
        labelled = label in incidents.lowered(item["title"] for item in issue["labels"])
        closed = issue["state"] == "closed"
        return incidents.write_incident(
            connection=connection,
            data=IssueData(
                issue_key=f"{project['path_with_namespace']}#{issue['iid']}",
                title=issue["title"],
                description=issue["description"] or "",
                status=IssueStatus.DONE if closed else IssueStatus.TODO,
                original_status=issue["state"],
                url=issue["url"],
                type=INCIDENT_TYPE if kind == "incident" or labelled else kind,
                severity=issue["severity"] or "",
                repo_url=project["web_url"],
                created_at=issue["created_at"],
                updated_at=issue["updated_at"],
                resolved_at=(issue["closed_at"] or issue["updated_at"] or received_at)
                if closed
                else None,
                extra={"object_kind": data["object_kind"], "work_item_type": kind},
            ),
            event=data["object_kind"],
            received_at=received_at,
        )


def _landed_sha(mr: dict[str, Any]) -> str:
    """The commit a merged merge request lands on its target branch ("" while it is not merged):
    the squash commit of a squash merge, else the merge commit (fast-forward merges have
    neither: their last commit)."""
    if not (mr["state"] == "merged" or mr["action"] == "merge"):
        return ""
    sha = mr["squash_commit_sha"] or mr["merge_commit_sha"]
    sha = sha or (mr["last_commit"] or {}).get("id")
    if not sha:
        raise ValidationError(
            {"object_attributes.merge_commit_sha": ["Required on a merged merge request."]}
        )
    return str(sha)


def _named_environment(connection: Connection, name: str) -> str:
    if re.search(connection.setting("production_pattern"), name):
        return Environment.PRODUCTION
    return str(connection.setting("non_production_environment"))


def _is_late(*, stored: Any, result: str, at: datetime) -> bool:
    """A finished deployment never moves back to running, nor to an older status."""
    if stored.result == DeploymentResult.IN_PROGRESS:
        return False
    if result == DeploymentResult.IN_PROGRESS:
        return True
    return stored.finished_at is not None and at < stored.finished_at
