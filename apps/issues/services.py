"""Writes for issues and incidents: every source's issue goes through `upsert_issue`, every
close through `close_issue`; both always stamp a resolution time (METRICS.md)."""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.connections.models import Connection
from apps.core.errors import Missing
from apps.deployments.changes import ensure_repositories
from apps.deployments.models import Deployment
from apps.events.services import record_event
from apps.issues.models import Issue, IssueStatus
from apps.marks.services import mark_dirty

INCIDENT_TYPE = "INCIDENT"


@dataclass(frozen=True)
class IssueData:
    issue_key: str
    created_at: datetime
    title: str = ""
    status: str = IssueStatus.TODO
    original_status: str = ""
    description: str = ""
    url: str = ""
    type: str = ""
    priority: str = ""
    severity: str = ""
    component: str = ""
    service: str = ""
    repo_url: str = ""
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    caused_by_ref: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def digest(self) -> str:
        return hashlib.sha256(
            json.dumps(asdict(self), default=str, sort_keys=True).encode()
        ).hexdigest()


@dataclass(frozen=True)
class IssueWrite:
    issue: Issue
    created: bool
    changed: bool
    stale: bool = False  # older than what is stored: not applied


def is_older(*, stored: Issue, data: IssueData) -> bool:
    """A payload last updated before the stored one is a late or replayed delivery."""
    return (
        data.updated_at is not None
        and stored.updated_at is not None
        and data.updated_at < stored.updated_at
    )


def may_reopen(*, stored: Issue, data: IssueData) -> bool:
    """A resolution moves backwards only on evidence: a payload updated after it."""
    if stored.resolved_at is None:
        return True
    return data.updated_at is not None and data.updated_at > stored.resolved_at


def is_incident(*, connection: Connection, issue_type: str) -> bool:
    wanted = {INCIDENT_TYPE, *(t.upper() for t in connection.setting("incident_types"))}
    return issue_type.strip().upper() in wanted


def upsert_issue(
    *,
    connection: Connection,
    data: IssueData,
    received_at: datetime | None = None,
    keep_resolution: bool = False,
) -> IssueWrite:
    """Create or update (connection, issue_key). Status DONE stamps `resolved_at` with the
    payload's resolution time, else the time it was first seen done. A payload updated before
    the stored one is ignored (`stale`); re-opening clears the resolution only when the payload
    was updated after it, and never with `keep_resolution` (senders that never re-open, only
    add a resolution: Pulse)."""
    received_at = received_at or timezone.now()
    digest = data.digest()
    with transaction.atomic(savepoint=False):
        issue = (
            Issue.objects.select_for_update()
            .filter(connection=connection, issue_key=data.issue_key)
            .first()
        )
        if issue is not None and issue.payload_digest == digest:
            return IssueWrite(issue=issue, created=False, changed=False)
        if issue is not None and is_older(stored=issue, data=data):
            return IssueWrite(issue=issue, created=False, changed=False, stale=True)
        repositories = ensure_repositories(project=connection.project, urls=[data.repo_url])
        before = _snapshot(issue)
        created = issue is None
        if issue is None:
            issue = Issue(
                connection=connection, project=connection.project, issue_key=data.issue_key
            )
        issue.title = data.title
        issue.description = data.description
        issue.url = data.url
        issue.type = data.type
        issue.is_incident = is_incident(connection=connection, issue_type=data.type)
        issue.status = data.status
        issue.original_status = data.original_status or data.status
        issue.priority = data.priority
        issue.severity = data.severity
        issue.component = data.component
        issue.service = data.service
        issue.repository = repositories.get(data.repo_url)
        issue.created_at = data.created_at
        reopens = created or may_reopen(stored=issue, data=data)
        issue.updated_at = data.updated_at or issue.updated_at
        issue.extra = data.extra
        issue.caused_by_ref = data.caused_by_ref
        if data.status == IssueStatus.DONE:
            issue.resolved_at = data.resolved_at or issue.resolved_at or received_at
        elif (keep_resolution or not reopens) and issue.resolved_at is not None:
            # Never moved backwards: a late "opened" (a replay with a new delivery id, or a
            # sender without update times) leaves the incident resolved.
            issue.status = IssueStatus.DONE
        else:
            issue.resolved_at = None
        issue.payload_digest = digest
        if created:
            try:
                with transaction.atomic():
                    issue.save()
            except IntegrityError:
                # A concurrent delivery created it: apply this one as an update.
                return upsert_issue(
                    connection=connection,
                    data=data,
                    received_at=received_at,
                    keep_resolution=keep_resolution,
                )
        else:
            issue.save()
        _after_write(connection=connection, issue=issue, before=before)
    return IssueWrite(issue=issue, created=created, changed=True)


def close_issue(
    *,
    connection: Connection,
    issue_key: str,
    resolved_at: datetime | None = None,
    resolved_by: Deployment | None = None,
) -> IssueWrite:
    """Mark an issue DONE; an issue closed twice keeps its first resolution time.
    `resolved_by` is the deployment that remediated it (closing by deployment)."""
    with transaction.atomic(savepoint=False):
        issue = (
            Issue.objects.select_for_update()
            .filter(connection=connection, issue_key=issue_key)
            .first()
        )
        if issue is None:
            raise Missing(f"No issue with key {issue_key!r} on this connection.")
        if issue.status == IssueStatus.DONE and issue.resolved_at is not None:
            return IssueWrite(issue=issue, created=False, changed=False)
        before = _snapshot(issue)
        issue.status = IssueStatus.DONE
        issue.resolved_at = issue.resolved_at or resolved_at or timezone.now()
        issue.payload_digest = ""  # a later re-post of the old payload must apply again
        fields = ["status", "resolved_at", "payload_digest", "modified"]
        if resolved_by is not None:
            issue.resolved_by = resolved_by
            fields.append("resolved_by")
        issue.save(update_fields=fields)
        _after_write(connection=connection, issue=issue, before=before)
    return IssueWrite(issue=issue, created=False, changed=True)


def _snapshot(issue: Issue | None) -> dict[str, Any]:
    if issue is None:
        return {"resolved_at": None, "created_at": None, "is_incident": False}
    return {
        "resolved_at": issue.resolved_at,
        "created_at": issue.created_at,
        "is_incident": issue.is_incident,
    }


def _after_write(*, connection: Connection, issue: Issue, before: dict[str, Any]) -> None:
    """The one hook point for metrics and lifecycle events of a written issue."""
    if not (issue.is_incident or before["is_incident"]):
        return
    instants = [
        t
        for t in (issue.created_at, issue.resolved_at, before["created_at"], before["resolved_at"])
        if t is not None
    ]
    environment = issue.deployment.environment if issue.deployment else "PRODUCTION"
    mark_dirty(project=connection.project, environment=environment, instants=instants)
    # The linked deployment's "failed" and the resolving one's "rework" may have changed too.
    for deployment in (issue.deployment, issue.resolved_by):
        if deployment is not None and deployment.finished_at is not None:
            mark_dirty(
                project=connection.project,
                environment=deployment.environment,
                instants=[deployment.finished_at],
            )
    repo = issue.repository.name if issue.repository else ""
    data = {"issue_id": issue.pk, "issue_key": issue.issue_key, "service": issue.service}
    if before["created_at"] is None and issue.is_incident:
        record_event(
            connection=connection,
            repo=repo,
            event="incident.opened",
            occurred_at=issue.created_at,
            data=data,
            insight=True,
        )
    if issue.resolved_at is not None and before["resolved_at"] is None and issue.is_incident:
        record_event(
            connection=connection,
            repo=repo,
            event="incident.resolved",
            occurred_at=issue.resolved_at,
            data=data,
            insight=True,
        )
