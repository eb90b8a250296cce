"""PagerDuty V3 webhooks: `POST /api/v1/connections/{id}/pagerduty`.

A webhook subscription signs each delivery with `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of
the body>`, one `v1=` per active secret while a secret is rotated. An incident's trigger, reopen,
resolve and priority change write the incident; every other event is kept as activity or
answered 202, so PagerDuty's delivery log stays green."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rest_framework.exceptions import ValidationError

from apps.connections.models import Connection
from apps.core.signatures import any_signature_matches, hmac_sha256_hex
from apps.ingest.authentication import Signature
from apps.ingest.receivers import Inbound, Outcome, Receiver, register
from apps.integrations import incidents
from apps.integrations.pagerduty.serializers import EnvelopeSerializer, incident_of
from apps.issues.models import IssueStatus
from apps.issues.services import INCIDENT_TYPE, IssueData

SIGNATURE_HEADER = "X-PagerDuty-Signature"
PROVIDER = "PagerDuty"
# Events whose incident state DORA Hub keeps; the rest of the incident.* family is activity.
STATE_EVENTS = frozenset(
    {"incident.triggered", "incident.reopened", "incident.resolved", "incident.priority_updated"}
)
ACTIVITY = {
    "incident.acknowledged": "incident.acknowledged",
    "incident.unacknowledged": "incident.acknowledged",
    "incident.escalated": "incident.escalated",
    "incident.reassigned": "incident.escalated",
    "incident.delegated": "incident.escalated",
    "incident.annotated": "incident.annotated",
    "incident.status_update_published": "incident.annotated",
}
_STATUSES = {
    "triggered": IssueStatus.TODO,
    "acknowledged": IssueStatus.IN_PROGRESS,
    "resolved": IssueStatus.DONE,
}


def pagerduty_signature(secret: str, body: bytes) -> str:
    return "v1=" + hmac_sha256_hex(secret=secret, body=body)


def signature_matches(*, secret: str, body: bytes, header: str) -> bool:
    presented = [part.strip() for part in header.split(",") if part.strip().startswith("v1=")]
    return any_signature_matches(expected=pagerduty_signature(secret, body), presented=presented)


class PagerDutySignature(Signature):
    """One `v1=` signature per active secret while PagerDuty rotates one."""

    def matches(
        self, *, secret: str, body: bytes, headers: Mapping[str, str], presented: str
    ) -> bool:
        return signature_matches(secret=secret, body=body, header=presented)


SIGNATURE = PagerDutySignature(
    header=SIGNATURE_HEADER,
    sign=pagerduty_signature,
    setup=f"set the connection's secret on the {PROVIDER} webhook subscription",
    unsigned="never",
)


@register
class PagerDutyReceiver(Receiver):
    route = "pagerduty"
    authentication = SIGNATURE

    def delivery_id(self, inbound: Inbound) -> str:
        # PagerDuty retries a delivery with the same event id.
        event_id = incidents.body_field(inbound, "event", "id")
        return super().delivery_id(inbound) or (f"event:{event_id}" if event_id else "")

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        event = self.validate(EnvelopeSerializer, payload)["event"]
        event_type = event["event_type"]
        if event_type in STATE_EVENTS:
            return self.on_incident(
                connection=connection, event=event, received_at=inbound.received_at
            )
        if event_type in ACTIVITY or event_type.startswith("incident."):
            data = event["data"]
            reference = data.get("incident") if isinstance(data.get("incident"), dict) else data
            key = str(reference.get("id") or "")[:200]
            return incidents.record_activity(
                connection=connection,
                name=ACTIVITY.get(event_type, "incident.activity"),
                event=event_type,
                occurred_at=event["occurred_at"],
                issue_key=key,
                data={"event_id": event["id"], "url": str(reference.get("html_url") or "")[:500]},
            )
        return incidents.ignored(event_type, "DORA Hub uses incident events only.")

    def on_incident(
        self, *, connection: Connection, event: dict[str, Any], received_at: datetime
    ) -> Outcome:
        incident = incident_of(event["data"])
        event_type, occurred_at = event["event_type"], event["occurred_at"]
        if incident["status"] not in _STATUSES:
            raise ValidationError(
                {"event": {"data": {"status": [f"Unknown status {incident['status']!r}."]}}}
            )
        status = _STATUSES[incident["status"]]
        if event_type == "incident.resolved":
            status = IssueStatus.DONE
        earlier = incidents.stored(connection, incident["id"])
        # The incident object names its creation time; a payload without one (older accounts)
        # keeps the time first seen, or this event's when it is the first.
        created_at = incident["created_at"] or (earlier.created_at if earlier else occurred_at)
        service = incident["service"] or {}
        priority = incident["priority"] or {}
        data = IssueData(
            issue_key=incident["id"],
            title=incident["title"],
            status=status,
            original_status=incident["status"],
            url=incident["html_url"],
            type=INCIDENT_TYPE,
            priority=priority.get("summary", ""),
            severity=incident["urgency"],
            service=incidents.mapped_service(
                connection,
                service.get("id", ""),
                service.get("summary", ""),
                keep_unmapped=True,
            ),
            created_at=created_at,
            updated_at=occurred_at,
            resolved_at=occurred_at if status == IssueStatus.DONE else None,
            extra={
                "number": incident["number"],
                "incident_key": incident["incident_key"],
                "urgency": incident["urgency"],
                "pagerduty_service": service.get("summary", ""),
                "pagerduty_service_id": service.get("id", ""),
                "last_event": event_type,
            },
        )
        return incidents.write_incident(
            connection=connection, data=data, event=event_type, received_at=received_at
        )
