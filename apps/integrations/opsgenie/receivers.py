"""Opsgenie outgoing webhooks: `POST /api/v1/connections/{id}/opsgenie`.

Opsgenie does not sign its webhooks; its Webhook integration sends the custom headers it is
given, so it sends the connection's token as `Authorization: Bearer <token>` (checked like any
other token: digest only, constant time). Which alerts are incidents is the connection's rule:
priority in `incident_priorities` (P1, P2 by default) or tagged `incident_label`."""

from datetime import datetime
from typing import Any

from apps.connections.models import Connection
from apps.ingest.receivers import Inbound, Outcome, Receiver, register
from apps.integrations import incidents
from apps.integrations.opsgenie.serializers import WebhookSerializer
from apps.issues.models import Issue, IssueStatus
from apps.issues.services import INCIDENT_TYPE, IssueData

# Actions that change what DORA Hub keeps of an alert; every other one is activity.
STATE_ACTIONS = {
    "Create": IssueStatus.TODO,
    "Close": IssueStatus.DONE,
    "UpdatePriority": None,
    "AddTags": None,
    "RemoveTags": None,
}
ACTIVITY = {
    "Acknowledge": "incident.acknowledged",
    "UnAcknowledge": "incident.acknowledged",
    "Escalate": "incident.escalated",
    "EscalateToNext": "incident.escalated",
    "AssignOwnership": "incident.escalated",
    "TakeOwnership": "incident.escalated",
    "AddRecipient": "incident.escalated",
    "AddResponder": "incident.escalated",
    "AddTeam": "incident.escalated",
    "AddNote": "incident.annotated",
}


@register
class OpsgenieReceiver(Receiver):
    route = "opsgenie"

    def delivery_id(self, inbound: Inbound) -> str:
        # Opsgenie sends no delivery id; a retry repeats the same bytes.
        return super().delivery_id(inbound) or incidents.body_digest(inbound)

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        data = self.validate(WebhookSerializer, payload)
        action, alert = data["action"], data["alert"]
        at = alert["updatedAt"] or inbound.received_at
        if action not in STATE_ACTIONS:
            return incidents.record_activity(
                connection=connection,
                name=ACTIVITY.get(action, "incident.activity"),
                event=action,
                occurred_at=at,
                issue_key=alert["alertId"],
                data={"tiny_id": alert["tinyId"], "message": alert["message"][:200]},
            )
        earlier = incidents.stored(connection, alert["alertId"])
        status = STATE_ACTIONS[action] or (earlier.status if earlier else IssueStatus.TODO)
        if action != "Close" and earlier is not None and earlier.status == IssueStatus.DONE:
            status = IssueStatus.DONE  # a tag added to a closed alert does not re-open it
        return incidents.write_incident(
            connection=connection,
            data=_issue_data(connection, alert=alert, status=status, at=at, earlier=earlier),
            event=action,
            received_at=inbound.received_at,
        )


def _issue_data(
    connection: Connection,
    *,
    alert: dict[str, Any],
    status: str,
    at: datetime,
    earlier: Issue | None,
) -> IssueData:
    # A Close delivery carries neither priority nor tags: what was known stays known.
    priority = alert["priority"] or (earlier.priority if earlier else "")
    tags = alert["tags"] or (earlier.extra.get("tags", []) if earlier else [])
    resolved_at = None
    if status == IssueStatus.DONE:
        resolved_at = (earlier.resolved_at if earlier else None) or at
    return IssueData(
        issue_key=alert["alertId"],
        title=alert["message"],
        description=alert["description"],
        status=status,
        original_status="closed" if status == IssueStatus.DONE else "open",
        type=INCIDENT_TYPE if is_incident_alert(connection, priority, tags) else "",
        priority=priority,
        service=incidents.mapped_service(connection, alert["entity"]),
        created_at=alert["createdAt"],
        updated_at=at,
        resolved_at=resolved_at,
        extra={"tiny_id": alert["tinyId"], "alias": alert["alias"], "tags": tags},
    )


def is_incident_alert(connection: Connection, priority: str, tags: list[str]) -> bool:
    label = connection.setting("incident_label").strip().lower()
    return priority in connection.setting("incident_priorities") or label in incidents.lowered(tags)
