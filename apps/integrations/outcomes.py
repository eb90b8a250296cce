"""What several adapters answer after the same writes: one module, so adapters never import
each other. Every body here is what the sender gets back and what the inbox stores."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rest_framework import status

from apps.connections.models import Connection
from apps.deployments.changes import ReportedChange, record_change, record_reported_changes
from apps.deployments.services import DeploymentData, UpsertResult, upsert_deployments
from apps.ingest.receivers import Outcome
from apps.issues.services import IssueData, IssueWrite, upsert_issue


@dataclass(frozen=True)
class ChangeReport:
    """A reported change. `kind` says what `at` is: the commit's authored time ("commit") or
    the time it was pushed or reported ("push"); the earlier of all known times is its start."""

    sha: str
    at: datetime
    kind: str = "push"
    repo_url: str = ""
    service: str = ""


def _state(*, created: bool, changed: bool) -> str:
    return "created" if created else ("updated" if changed else "unchanged")


def deployment_outcome(result: UpsertResult) -> Outcome:
    deployment = result.deployment
    body = {
        "id": deployment.pk,
        "external_id": deployment.external_id,
        "status": _state(created=result.created, changed=result.changed),
        "commit_count": result.commit_count,
    }
    return Outcome(
        status_code=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        body=body,
        duplicate=not result.changed,
        effects={"deployments": [deployment.pk]} if result.changed else {},
    )


def deployment_outcomes(*, connection: Connection, items: list[DeploymentData]) -> list[Outcome]:
    """The set-based writer of deployments (apps.ingest.receivers.Planned)."""
    return [
        deployment_outcome(result)
        for result in upsert_deployments(connection=connection, datas=items)
    ]


def issue_outcome(result: IssueWrite) -> Outcome:
    issue = result.issue
    body = {
        "id": issue.pk,
        "issue_key": issue.issue_key,
        "status": _state(created=result.created, changed=result.changed),
        "is_incident": issue.is_incident,
        "resolved_at": issue.resolved_at.isoformat() if issue.resolved_at else None,
    }
    return Outcome(
        status_code=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        body=body,
        duplicate=not result.changed,
        effects={"incidents": [issue.pk]} if result.changed and issue.is_incident else {},
    )


def change_outcome(*, connection: Connection, report: ChangeReport) -> Outcome:
    commit, changed = record_change(
        project=connection.project,
        sha=report.sha,
        reported_at=report.at if report.kind == "push" else None,
        authored_at=report.at if report.kind == "commit" else None,
        repo_url=report.repo_url,
        service=report.service,
    )
    body = {
        "sha": commit.sha,
        "status": "recorded" if changed else "unchanged",
        "service": commit.service,
        "start_at": commit.start_at.isoformat() if commit.start_at else None,
    }
    return Outcome(status_code=status.HTTP_200_OK, body=body, duplicate=not changed)


def change_outcomes(*, connection: Connection, reports: list[ChangeReport]) -> list[Outcome]:
    """Many reported changes written together (one set-based write), each answered as
    `change_outcome` answers it."""
    recorded = record_reported_changes(
        project=connection.project,
        reports=[
            ReportedChange(
                sha=report.sha,
                repo_url=report.repo_url,
                service=report.service,
                reported_at=report.at if report.kind == "push" else None,
                authored_at=report.at if report.kind == "commit" else None,
            )
            for report in reports
        ],
    )
    return [
        Outcome(
            status_code=status.HTTP_200_OK,
            body={
                "sha": r.commit.sha,
                "status": "recorded" if r.changed else "unchanged",
                "service": r.commit.service,
                "start_at": r.commit.start_at.isoformat() if r.commit.start_at else None,
            },
            duplicate=not r.changed,
        )
        for r in recorded
    ]


def incident_outcome(*, connection: Connection, data: IssueData) -> Outcome:
    # Pulse-style senders only ever add a resolution: an incident re-sent without one (a
    # retried job, a late "opened" report) must not re-open it.
    return issue_outcome(upsert_issue(connection=connection, data=data, keep_resolution=True))


def combined_outcome(outcomes: list[Outcome]) -> Outcome:
    """Several events of one request answered together; a duplicate only if all were."""
    effects: dict[str, list[Any]] = {}
    for outcome in outcomes:
        for kind, ids in outcome.effects.items():
            known = effects.setdefault(kind, [])
            known.extend(i for i in ids if i not in known)
    return Outcome(
        status_code=status.HTTP_200_OK,
        body={"results": [outcome.body for outcome in outcomes]},
        duplicate=all(outcome.duplicate for outcome in outcomes),
        effects=effects,
    )
