"""PagerDuty V3 webhooks: `POST /api/v1/connections/{id}/pagerduty`.

A webhook subscription signs each delivery with `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of
the body>`, one `v1=` per active secret while a secret is rotated. An incident's trigger, reopen,
resolve and priority change write the incident; every other event is kept as activity or
answered 202, so PagerDuty's delivery log stays green."""

from typing import Any

from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.connections.models import Connection
from apps.core.signatures import any_signature_matches, hmac_sha256_hex
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


def signature_matches(*, secret: str, body: bytes, header: str) -> bool:
    expected = "v1=" + hmac_sha256_hex(secret=secret, body=body)
    presented = [part.strip() for part in header.split(",") if part.strip().startswith("v1=")]
    return any_signature_matches(expected=expected, presented=presented)


@register
class PagerDutyReceiver(Receiver):
    route = "pagerduty"

    def authenticate(self, inbound: Inbound, connection: Connection) -> None:
        incidents.require_active(connection)
        secret = incidents.signing_secret(connection, provider=PROVIDER)
        header = inbound.headers.get(SIGNATURE_HEADER, "")
        if not header.strip():
            raise incidents.missing(SIGNATURE_HEADER, provider=PROVIDER)
        if not signature_matches(secret=secret, body=inbound.body, header=header):
            raise incidents.mismatch(SIGNATURE_HEADER)

    def delivery_id(self, inbound: Inbound) -> str:
        # PagerDuty retries a delivery with the same event id.
        event_id = incidents.body_field(inbound, "event", "id")
        return super().delivery_id(inbound) or (f"event:{event_id}" if event_id else "")

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        event = self.validate(EnvelopeSerializer, payload)["event"]
        event_type = event["event_type"]
        if event_type in STATE_EVENTS:
            return self.on_incident(connection=connection, event=event)
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

    def on_incident(self, *, connection: Connection, event: dict[str, Any]) -> Outcome:
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
            connection=connection, data=data, event=event_type, received_at=timezone.now()
        )
