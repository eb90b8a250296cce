"""What the incident sources share (PagerDuty, Opsgenie, incident.io, Jira): how a provider's
incident becomes a write through `issues.services.upsert_issue`, and the answers they give
(their signatures are declared strategies, `apps.ingest.authentication.Signature`). Each
source's receiver only translates its payload into `IssueData`."""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rest_framework import status

from apps.connections.models import Connection
from apps.events.services import record_event
from apps.ingest.receivers import Inbound, Outcome
from apps.issues.models import Issue
from apps.issues.selectors import issue_by_key
from apps.issues.services import IssueData, upsert_issue


def body_field(inbound: Inbound, *path: str) -> str:
    """A string deep in the JSON body, for delivery ids, before the body is parsed for real
    (a body that is not JSON has none: the parse step will refuse it)."""
    try:
        value: Any = json.loads(inbound.body)
        for key in path:
            value = value[key]
    except (ValueError, KeyError, TypeError, IndexError):
        return ""
    return str(value)[:150] if isinstance(value, str | int) else ""


def body_digest(inbound: Inbound) -> str:
    """A sender that gives no delivery id retries with the same bytes: the digest is its id."""
    return "sha256:" + hashlib.sha256(inbound.body).hexdigest()


def stored(connection: Connection, issue_key: str) -> Issue | None:
    return issue_by_key(connection_id=connection.pk, issue_key=issue_key)


def mapped_service(connection: Connection, *candidates: str, keep_unmapped: bool = False) -> str:
    """The DORA Hub service for a provider's service: the connection's `service_map` entry for
    its id or name (an empty entry: no service), else, with `keep_unmapped`, the provider's
    name as it is. An incident naming a service links only to that service's deployments
    (METRICS.md), so free-text names (an alert's entity) are never kept unmapped."""
    mapping: dict[str, str] = connection.setting("service_map")
    for candidate in candidates:
        if candidate and candidate in mapping:
            return mapping[candidate]
    if not keep_unmapped:
        return ""
    return next((candidate for candidate in reversed(candidates) if candidate), "")


def write_incident(
    *, connection: Connection, data: IssueData, event: str, received_at: datetime
) -> Outcome:
    """Write the provider's incident as it stood at `data.updated_at`. Providers retry and do
    not order their deliveries: the services ignore a state older than the stored one (a
    trigger arriving after its resolve), which is answered `stale` and kept in the inbox."""
    written = upsert_issue(connection=connection, data=data, received_at=received_at)
    issue = written.issue
    return Outcome(
        status_code=status.HTTP_200_OK,
        body={
            "event": event,
            "status": "stale" if written.stale else "accepted",
            "issue_id": issue.pk,
            "issue_key": issue.issue_key,
            "is_incident": issue.is_incident,
            "incident_status": issue.status,
            "created_at": issue.created_at.isoformat(),
            "resolved_at": issue.resolved_at.isoformat() if issue.resolved_at else None,
        },
        duplicate=not written.changed and not written.stale,
        effects={"incidents": [issue.pk]} if written.changed else {},
    )


def ignored(event: str, reason: str) -> Outcome:
    return Outcome(
        status_code=status.HTTP_202_ACCEPTED,
        body={"event": event[:100], "status": "ignored", "reason": reason},
    )


def record_activity(
    *,
    connection: Connection,
    name: str,
    event: str,
    occurred_at: datetime | None,
    issue_key: str,
    data: dict[str, Any],
) -> Outcome:
    """Activity that changes no incident (acknowledged, escalated, a note...) is kept as a
    lifecycle event on the activity page and answered 200."""
    recorded = record_event(
        connection=connection,
        repo="",
        event=name,
        occurred_at=occurred_at,
        data={"provider_event": event[:100], "issue_key": issue_key, **data},
    )
    return Outcome(
        status_code=status.HTTP_200_OK,
        body={
            "event": event[:100],
            "status": "recorded",
            "lifecycle_event": recorded.name,
            "issue_key": issue_key,
        },
    )


def lowered(values: Iterable[str]) -> set[str]:
    return {value.strip().lower() for value in values if value and value.strip()}
