"""GitHub's webhooks, received directly: `POST /api/v1/connections/{id}/github`.

Each event GitHub sends is translated into the same service calls every source uses; events
DORA Hub has no use for are answered 202 and kept in the inbox, never refused, so GitHub's
delivery log stays green.
"""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, ParseError, ValidationError

from apps.ci.models import CIStatus
from apps.ci.services import JobData, PipelineData, StatusReport, record_build, record_job
from apps.connections.authentication import authenticate_for_connection, extract_token
from apps.connections.models import Connection
from apps.core import strict_json
from apps.core.errors import Code
from apps.core.signatures import hmac_sha256_hex, signatures_match
from apps.deployments.models import DeploymentResult, Environment
from apps.deployments.selectors import deployment_by_external_id
from apps.deployments.services import (
    CommitRef,
    DeploymentData,
    record_change,
    record_changes,
    upsert_deployment,
)
from apps.events.services import record_event
from apps.ingest.receivers import Inbound, Outcome, Receiver, register
from apps.integrations.github import serializers as s
from apps.issues.models import IssueStatus
from apps.issues.services import IssueData, upsert_issue

SIGNATURE_HEADER = "X-Hub-Signature-256"
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")

# GitHub environment names are free text: the usual words pick the environment.
_ENVIRONMENT_WORDS = (
    (Environment.PRODUCTION, {"production", "prod"}),
    (Environment.STAGING, {"staging", "stage", "stg"}),
    (Environment.TESTING, {"test", "testing", "qa"}),
)
_DEPLOYMENT_STATES = {
    "success": DeploymentResult.SUCCESS,
    "failure": DeploymentResult.FAILURE,
    "error": DeploymentResult.FAILURE,
}
# workflow_run conclusions -> (CI status, lifecycle position); "completed" is final.
_RUN_CONCLUSIONS = {
    "success": CIStatus.SUCCESS,
    "failure": CIStatus.FAILURE,
    "timed_out": CIStatus.FAILURE,
    "startup_failure": CIStatus.FAILURE,
    "cancelled": CIStatus.ABORTED,
    "action_required": CIStatus.ON_HOLD,
    "skipped": CIStatus.SKIPPED,
    "neutral": CIStatus.SKIPPED,
    "stale": CIStatus.SKIPPED,
}
_COMPLETED_PROGRESS = 10
# Each has an `on_<event>` method on the receiver; every other event is answered 202.
HANDLED_EVENTS = frozenset(
    {
        "ping",
        "push",
        "pull_request",
        "deployment_status",
        "workflow_run",
        "release",
        "issues",
        "create",
    }
)


def signature_matches(*, secret: str, body: bytes, header: str) -> bool:
    """GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, compared in
    constant time."""
    expected = "sha256=" + hmac_sha256_hex(secret=secret, body=body)
    return signatures_match(expected=expected, presented=header.strip())


def environment_for(name: str, *, production: bool = False) -> str:
    if production:
        return Environment.PRODUCTION
    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    for environment, names in _ENVIRONMENT_WORDS:
        if words & names:
            return environment
    return Environment.DEVELOPMENT


def _accepted(event: str, **body: Any) -> dict[str, Any]:
    return {"event": event, "status": "accepted", **body}


def _ignored(event: str, reason: str) -> Outcome:
    return Outcome(
        status_code=status.HTTP_202_ACCEPTED,
        body={"event": event, "status": "ignored", "reason": reason},
    )


@register
class GitHubReceiver(Receiver):
    route = "github"

    def delivery_id(self, inbound: Inbound) -> str:
        # A redelivery from GitHub's UI repeats the GUID; the hook id keeps two webhooks
        # (repository and organisation) sending the same event apart.
        guid = inbound.headers.get("X-GitHub-Delivery", "").strip()
        if not guid:
            return ""
        return f"{inbound.headers.get('X-GitHub-Hook-ID', '').strip()}:{guid}"[:200]

    def authenticate(self, inbound: Inbound, connection: Connection) -> None:
        if not connection.is_active:
            raise AuthenticationFailed(
                "This connection is disabled.", code=Code.CONNECTION_INACTIVE
            )
        secret = connection.get_signing_secret()
        if secret:
            header = inbound.headers.get(SIGNATURE_HEADER, "")
            if not header:
                raise AuthenticationFailed(
                    f"Missing {SIGNATURE_HEADER}: set the connection's secret on the GitHub "
                    "webhook.",
                    code=Code.SIGNATURE_MISSING,
                )
            if not signature_matches(secret=secret, body=inbound.body, header=header):
                raise AuthenticationFailed(
                    f"{SIGNATURE_HEADER} does not match the body signed with the connection's "
                    "secret.",
                    code=Code.SIGNATURE_INVALID,
                )
            return
        if getattr(self, "token", None) is not None or connection.setting("allow_unsigned"):
            return  # an API key in the URL (/v1/ingestion/github) already named the sender
        if extract_token(inbound.headers, inbound.query) is None:
            raise AuthenticationFailed(
                "This connection has no signing secret: set one on the connection and the "
                "same secret on the GitHub webhook.",
                code=Code.SIGNATURE_MISSING,
            )
        authenticate_for_connection(
            headers=inbound.headers, query=inbound.query, connection=connection
        )

    def parse(self, inbound: Inbound) -> Any:
        content_type = inbound.headers.get("Content-Type", "").lower()
        if content_type.startswith("application/x-www-form-urlencoded"):
            # GitHub's "application/x-www-form-urlencoded" option: the JSON is in `payload`.
            form = parse_qs(inbound.body.decode("utf-8", errors="replace"))
            if "payload" not in form:
                raise ParseError("Form-encoded delivery without a payload field.")
            try:
                payload = strict_json.loads(form["payload"][0].encode())
            except strict_json.MalformedJSON as exc:
                raise ParseError(f"Malformed JSON: {exc}", code=Code.MALFORMED_JSON) from None
            if not isinstance(payload, dict):
                raise ParseError("Expected a JSON object in payload.", code=Code.MALFORMED_JSON)
            return payload
        return super().parse(inbound)

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        event = inbound.headers.get("X-GitHub-Event", "").strip()
        if not event:
            raise ValidationError({"X-GitHub-Event": ["This header is required."]})
        if event not in HANDLED_EVENTS:
            return _ignored(event[:100], "DORA Hub does not use this event.")
        handler: Callable[..., Outcome] = getattr(self, f"on_{event}")
        return handler(connection=connection, payload=payload, received_at=timezone.now())

    # --- events -------------------------------------------------------------------------

    def on_ping(self, *, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
        return Outcome(
            status_code=status.HTTP_200_OK,
            body={"event": "ping", "status": "pong", "hook_id": payload.get("hook_id")},
        )

    def on_push(self, *, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
        data = self.validate(s.PushSerializer, payload)
        repo = data["repository"]
        commits = data.get("commits", [])
        refs = [
            CommitRef(
                sha=commit["id"],
                repo_url=repo["html_url"],
                message=commit["message"],
                authored_at=commit["timestamp"],
            )
            for commit in commits
        ]
        new = record_changes(project=connection.project, refs=refs, reported_at=received_at)
        recorded = record_event(
            connection=connection,
            repo=repo["full_name"],
            event="push",
            occurred_at=received_at,
            data={
                "ref": data["ref"],
                "before": data["before"],
                "after": data["after"],
                "deleted": data["deleted"],
                "commit_count": len(commits),
                "commits": [commit["id"] for commit in commits[:20]],
                "pusher": data.get("pusher", {}).get("name", ""),
            },
        )
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=_accepted(
                "push", lifecycle_event=recorded.name, changes=len(refs), new_changes=new
            ),
        )

    def on_pull_request(
        self, *, connection: Connection, payload: Any, received_at: datetime
    ) -> Outcome:
        data = self.validate(s.PullRequestSerializer, payload)
        action, pr, repo = data["action"], data["pull_request"], data["repository"]
        event_data = {
            "number": pr["number"],
            "title": pr["title"],
            "url": pr["html_url"],
            "created_at": pr["created_at"].isoformat(),
            "base": pr.get("base", {}).get("ref", ""),
            "head": pr.get("head", {}).get("ref", ""),
            "author": pr.get("user", {}).get("login", ""),
        }
        if action == "closed" and pr["merged"]:
            # The merge commit's change starts no later than the pull request that made it.
            record_change(
                project=connection.project,
                sha=pr["merge_commit_sha"],
                reported_at=pr["created_at"],
                merged_at=pr["merged_at"],
                repo_url=repo["html_url"],
                message=pr["title"],
            )
            event, occurred_at = "pull_request.merged", pr["merged_at"]
            event_data |= {
                "merged_at": pr["merged_at"].isoformat(),
                "merge_commit_sha": pr["merge_commit_sha"],
            }
        elif action == "closed":
            event, occurred_at = "pull_request.closed", pr["closed_at"] or received_at
        elif action == "opened":
            event, occurred_at = "pull_request.opened", pr["created_at"]
        else:
            return _ignored("pull_request", f"Action {action!r} is not used.")
        recorded = record_event(
            connection=connection,
            repo=repo["full_name"],
            event=event,
            occurred_at=occurred_at,
            data=event_data,
        )
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=_accepted("pull_request", action=action, lifecycle_event=recorded.name),
        )

    def on_deployment_status(
        self, *, connection: Connection, payload: Any, received_at: datetime
    ) -> Outcome:
        data = self.validate(s.DeploymentStatusSerializer, payload)
        deployment, state_report = data["deployment"], data["deployment_status"]
        state = state_report["state"].lower()
        if state == "inactive":
            # GitHub retires the previous deployment of an environment this way; it did not
            # stop having happened.
            return _ignored("deployment_status", "An inactive status changes nothing.")
        result = _DEPLOYMENT_STATES.get(state, DeploymentResult.IN_PROGRESS)
        external_id = f"gh-deployment:{deployment['id']}"
        at = state_report["created_at"]
        stored = deployment_by_external_id(connection_id=connection.pk, external_id=external_id)
        if stored is not None and _is_late(stored=stored, result=result, at=at):
            return _ignored("deployment_status", "An older status arrived late.")
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
        return _deployment_outcome("deployment_status", written)

    def on_workflow_run(
        self, *, connection: Connection, payload: Any, received_at: datetime
    ) -> Outcome:
        data = self.validate(s.WorkflowRunSerializer, payload)
        run, repo = data["workflow_run"], data["repository"]
        if data["action"] != "completed":
            return _ignored("workflow_run", "Only completed workflow runs are recorded.")
        ci_status = _RUN_CONCLUSIONS.get(run["conclusion"].lower())
        if ci_status is None:
            return _ignored("workflow_run", f"Conclusion {run['conclusion']!r} is not used.")
        report = StatusReport(
            status=ci_status,
            original_status=run["conclusion"].lower(),
            at=run["updated_at"],
            progress=_COMPLETED_PROGRESS,
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
        body = _accepted("workflow_run", build_id=build.pipeline.pk, job_id=job.job.pk)
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

    def on_release(self, *, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
        data = self.validate(s.ReleaseSerializer, payload)
        release, repo = data["release"], data["repository"]
        if data["action"] != "published":
            return _ignored("release", f"Action {data['action']!r} is not used.")
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
                body=_accepted("release", action="published", lifecycle_event=recorded.name),
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
        return _deployment_outcome("release", written)

    def on_issues(self, *, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
        data = self.validate(s.IssuesSerializer, payload)
        issue, repo, action = data["issue"], data["repository"], data["action"]
        label = connection.setting("incident_label").strip().lower()
        labelled = any(item["name"].strip().lower() == label for item in issue.get("labels", []))
        unlabelled = (
            action == "unlabeled" and (data["label"] or {}).get("name", "").strip().lower() == label
        )
        if action in ("deleted", "transferred") or not (labelled or unlabelled):
            return _ignored("issues", f"Not an issue labelled {label!r}.")
        if issue["state"] is None:
            return _ignored("issues", f"Action {action!r} carries no issue state to record.")
        closed = issue["state"] == "closed"
        written = upsert_issue(
            connection=connection,
            data=IssueData(
                issue_key=f"{repo['full_name']}#{issue['number']}",
                title=issue["title"],
                status=IssueStatus.DONE if closed else IssueStatus.TODO,
                original_status=issue["state"],
                created_at=issue["created_at"],
                updated_at=issue["updated_at"],
                resolved_at=issue["closed_at"] if closed else None,
                description=issue["body"],
                url=issue["html_url"],
                # Removing the label makes it an ordinary issue: it stops counting.
                type="INCIDENT" if labelled else "",
                repo_url=repo["html_url"],
            ),
            received_at=received_at,
        )
        stored = written.issue
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=_accepted(
                "issues",
                issue_id=stored.pk,
                issue_key=stored.issue_key,
                is_incident=stored.is_incident,
                resolved_at=stored.resolved_at.isoformat() if stored.resolved_at else None,
            ),
            duplicate=not written.changed,
            effects={"incidents": [stored.pk]} if written.changed and stored.is_incident else {},
        )

    def on_create(self, *, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
        data = self.validate(s.CreateSerializer, payload)
        if data["ref_type"] != "tag":
            return _ignored("create", f"Creating a {data['ref_type']} is not used.")
        recorded = record_event(
            connection=connection,
            repo=data["repository"]["full_name"],
            event="create.tag",
            occurred_at=received_at,
            data={"tag": data["ref"], "default_branch": data["master_branch"]},
        )
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=_accepted("create", ref_type="tag", lifecycle_event=recorded.name),
        )


def _is_late(*, stored: Any, result: str, at: datetime) -> bool:
    """GitHub does not order deliveries: a finished deployment never moves back to in
    progress, nor to a status older than the one that finished it."""
    if stored.result == DeploymentResult.IN_PROGRESS:
        return False
    if result == DeploymentResult.IN_PROGRESS:
        return True
    return stored.finished_at is not None and at < stored.finished_at


def _deployment_outcome(event: str, written: Any) -> Outcome:
    deployment = written.deployment
    return Outcome(
        status_code=status.HTTP_200_OK,
        body=_accepted(
            event,
            deployment_id=deployment.pk,
            environment=deployment.environment,
            result=deployment.result,
        ),
        duplicate=not written.changed,
        effects={"deployments": [deployment.pk]} if written.changed else {},
    )
