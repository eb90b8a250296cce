"""Issues labelled as incidents."""

from datetime import datetime
from typing import Any

from rest_framework import status

from apps.connections.models import Connection
from apps.ingest.receivers import Outcome
from apps.integrations.github import serializers as s
from apps.integrations.github.answers import accepted, ignored, validated
from apps.issues.models import IssueStatus
from apps.issues.services import IssueData, upsert_issue


def on_issues(*, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
    data = validated(s.IssuesSerializer, payload)
    issue, repo, action = data["issue"], data["repository"], data["action"]
    label = connection.setting("incident_label").strip().lower()
    labelled = any(item["name"].strip().lower() == label for item in issue.get("labels", []))
    unlabelled = (
        action == "unlabeled" and (data["label"] or {}).get("name", "").strip().lower() == label
    )
    if action in ("deleted", "transferred") or not (labelled or unlabelled):
        return ignored("issues", f"Not an issue labelled {label!r}.")
    if issue["state"] is None:
        return ignored("issues", f"Action {action!r} carries no issue state to record.")
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
        body=accepted(
            "issues",
            issue_id=stored.pk,
            issue_key=stored.issue_key,
            is_incident=stored.is_incident,
            resolved_at=stored.resolved_at.isoformat() if stored.resolved_at else None,
        ),
        duplicate=not written.changed,
        effects={"incidents": [stored.pk]} if written.changed and stored.is_incident else {},
    )
