"""Jira webhooks: `POST /api/v1/connections/{id}/jira`.

A Jira webhook with a secret signs each delivery `X-Hub-Signature: sha256=<hex HMAC-SHA256 of
the body>`. Which issues are incidents is the connection's rule, no JQL needed: issue type
`Incident` or one of `incident_types`, or labelled `incident_label`; only in the project keys of
`incident_projects` where that is set. `fields.resolutiondate` is the resolution time; a
deleted issue stops counting. A deployment saying "fixes KEY" resolves it, as for every tracker.
"""

from typing import Any
from urllib.parse import urlsplit

from apps.connections.models import Connection
from apps.core.signatures import hmac_sha256_hex, signatures_match
from apps.ingest.authentication import Signature
from apps.ingest.receivers import Inbound, Outcome, Receiver, register
from apps.integrations import incidents
from apps.integrations.jira.serializers import WebhookSerializer
from apps.issues.models import IssueStatus
from apps.issues.services import INCIDENT_TYPE, IssueData, is_incident

SIGNATURE_HEADER = "X-Hub-Signature"
DELIVERY_HEADER = "X-Atlassian-Webhook-Identifier"
PROVIDER = "Jira"
ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
_CATEGORY_STATUS = {"new": IssueStatus.TODO, "indeterminate": IssueStatus.IN_PROGRESS}


def jira_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256_hex(secret=secret, body=body)


def signature_matches(*, secret: str, body: bytes, header: str) -> bool:
    return signatures_match(expected=jira_signature(secret, body), presented=header.strip())


SIGNATURE = Signature(
    header=SIGNATURE_HEADER,
    sign=jira_signature,
    setup=f"set the connection's secret on the {PROVIDER} webhook",
    unsigned="never",
)


@register
class JiraReceiver(Receiver):
    route = "jira"
    authentication = SIGNATURE

    def delivery_id(self, inbound: Inbound) -> str:
        # Jira Cloud repeats this identifier when it retries a delivery.
        identifier = inbound.headers.get(DELIVERY_HEADER, "").strip()
        return super().delivery_id(inbound) or (
            f"jira:{identifier}"[:200] if identifier else incidents.body_digest(inbound)
        )

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        event = str(payload.get("webhookEvent") or "")
        if event not in ISSUE_EVENTS:
            return incidents.ignored(event or "unknown", "DORA Hub uses issue events only.")
        data = self.validate(WebhookSerializer, payload)
        return incidents.write_incident(
            connection=connection,
            data=issue_data(connection, data, deleted=event == "jira:issue_deleted"),
            event=event,
            received_at=inbound.received_at,
        )


def is_incident_issue(connection: Connection, fields: dict[str, Any]) -> bool:
    projects: list[str] = connection.setting("incident_projects")
    if projects and fields["project"]["key"].upper() not in projects:
        return False
    label = connection.setting("incident_label").strip().lower()
    return is_incident(
        connection=connection, issue_type=fields["issuetype"]["name"]
    ) or label in incidents.lowered(fields["labels"])


def issue_data(connection: Connection, data: dict[str, Any], *, deleted: bool) -> IssueData:
    issue = data["issue"]
    fields = issue["fields"]
    status_report = fields["status"] or {}
    category = ((status_report.get("statusCategory") or {}).get("key") or "").lower()
    resolved_at = fields["resolutiondate"]
    if resolved_at is not None or category == "done":
        status = IssueStatus.DONE
    else:
        status = _CATEGORY_STATUS.get(category, IssueStatus.TODO)
    components = [item["name"] for item in fields["components"] if item["name"]]
    site = urlsplit(issue["self"])
    return IssueData(
        issue_key=issue["key"],
        title=fields["summary"],
        description=fields["description"] or "",
        status=status,
        original_status=status_report.get("name", ""),
        url=f"{site.scheme}://{site.netloc}/browse/{issue['key']}" if site.netloc else "",
        # A deleted issue stops counting, whatever it was.
        type=INCIDENT_TYPE if is_incident_issue(connection, fields) and not deleted else "",
        priority=(fields["priority"] or {}).get("name", ""),
        component=", ".join(components)[:200],
        service=incidents.mapped_service(connection, *components),
        created_at=fields["created"],
        updated_at=fields["updated"],
        resolved_at=resolved_at or (fields["updated"] if status == IssueStatus.DONE else None),
        extra={
            "jira_id": issue["id"],
            "project": fields["project"]["key"],
            "issue_type": fields["issuetype"]["name"],
            "labels": fields["labels"],
            "deleted": deleted,
        },
    )
