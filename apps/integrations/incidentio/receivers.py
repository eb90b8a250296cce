"""incident.io webhooks: `POST /api/v1/connections/{id}/incidentio`.

incident.io signs in the Standard Webhooks (Svix) scheme: `webhook-signature: v1,<base64
HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` keyed with the base64 part of the
endpoint's `whsec_...` secret; deliveries whose timestamp is more than five minutes from now are
refused (a captured delivery cannot be replayed later). An incident is resolved when its status
category is `learning` (post-incident) or `closed`; its mitigation time is kept beside, and is
where recovery stops on connections with `resolve_at_mitigation` (docs/metrics.md)."""

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from apps.connections.models import Connection
from apps.core.errors import Code, Unauthenticated
from apps.core.signatures import any_signature_matches, hmac_sha256_base64
from apps.ingest.authentication import Signature
from apps.ingest.receivers import Inbound, Outcome, Receiver, register
from apps.integrations import incidents
from apps.integrations.incidentio.serializers import IncidentSerializer, StatusUpdatedSerializer
from apps.issues.models import IssueStatus
from apps.issues.services import INCIDENT_TYPE, IssueData

PROVIDER = "incident.io"
TOLERANCE = timedelta(minutes=5)
ID_HEADERS = ("webhook-id", "svix-id")
TIMESTAMP_HEADERS = ("webhook-timestamp", "svix-timestamp")
SIGNATURE_HEADERS = ("webhook-signature", "svix-signature")
INCIDENT_EVENTS = frozenset(
    {"public_incident.incident_created_v2", "public_incident.incident_updated_v2"}
)
STATUS_EVENT = "public_incident.incident_status_updated_v2"
RESOLVED_CATEGORIES = frozenset({"learning", "closed"})
# Incidents that never were (declined, merged into another, cancelled) and drills stop counting.
NOT_INCIDENTS = frozenset({"declined", "merged", "canceled", "cancelled"})
REAL_MODES = frozenset({"", "standard", "retrospective"})
_CATEGORY_STATUS = {"triage": IssueStatus.TODO, "paused": IssueStatus.IN_PROGRESS}


def _first(headers: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((headers[name] for name in names if headers.get(name)), "")


def _header(inbound: Inbound, names: tuple[str, ...]) -> str:
    return _first(inbound.headers, names)


def signing_key(secret: str) -> bytes:
    """The HMAC key: the base64 after `whsec_` (a secret pasted without the prefix is read
    the same way; one that is not base64 is used as it is)."""
    encoded = secret.strip().removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return secret.strip().encode()


def signature_matches(
    *, secret: str, message_id: str, timestamp: str, body: bytes, header: str
) -> bool:
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = "v1," + hmac_sha256_base64(key=signing_key(secret), body=signed)
    return any_signature_matches(expected=expected, presented=header.split())


class StandardWebhooksSignature(Signature):
    """The signature covers `{webhook-id}.{webhook-timestamp}.{body}`; the timestamp must be
    within `TOLERANCE` of now; either header spelling (Standard Webhooks or Svix) is read."""

    def presented(self, headers: Mapping[str, str]) -> str:
        return _first(headers, SIGNATURE_HEADERS).strip()

    def refuse_early(self, headers: Mapping[str, str]) -> None:
        message_id = _first(headers, ID_HEADERS).strip()
        timestamp = _first(headers, TIMESTAMP_HEADERS).strip()
        for name, value in (("webhook-id", message_id), ("webhook-timestamp", timestamp)):
            if not value:
                raise Unauthenticated(
                    f"Missing {name}: {PROVIDER} signs the message id and timestamp too.",
                    code=Code.SIGNATURE_MISSING,
                )
        if not timestamp.isdigit() or abs(timezone.now().timestamp() - int(timestamp)) > (
            TOLERANCE.total_seconds()
        ):
            raise Unauthenticated(
                "webhook-timestamp is more than 5 minutes from now: a delayed or replayed "
                "delivery is refused (check the server clock).",
                code=Code.TIMESTAMP_OUT_OF_TOLERANCE,
            )

    def matches(
        self, *, secret: str, body: bytes, headers: Mapping[str, str], presented: str
    ) -> bool:
        return signature_matches(
            secret=secret,
            message_id=_first(headers, ID_HEADERS).strip(),
            timestamp=_first(headers, TIMESTAMP_HEADERS).strip(),
            body=body,
            header=presented,
        )


SIGNATURE = StandardWebhooksSignature(
    header="webhook-signature",
    sign=lambda secret, body: "",  # `matches` signs the id and timestamp with the body
    setup=f"set the connection's secret to the {PROVIDER} endpoint's whsec_ secret",
    unsigned="never",
)


@register
class IncidentIoReceiver(Receiver):
    route = "incidentio"
    authentication = SIGNATURE

    def delivery_id(self, inbound: Inbound) -> str:
        # Svix retries a message with the same webhook-id.
        message_id = _header(inbound, ID_HEADERS).strip()
        return super().delivery_id(inbound) or (f"msg:{message_id}"[:200] if message_id else "")

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        event_type = str(payload.get("event_type") or "")
        body = payload.get(event_type)
        if event_type in INCIDENT_EVENTS:
            incident = self.validate(IncidentSerializer, body)
        elif event_type == STATUS_EVENT:
            incident = self.validate(StatusUpdatedSerializer, body)["incident"]
        elif event_type.startswith("private_incident."):
            return incidents.ignored(
                event_type, "Private incidents carry only their id; they are not recorded."
            )
        else:
            return incidents.ignored(event_type or "unknown", "DORA Hub uses incident events.")
        return incidents.write_incident(
            connection=connection,
            data=issue_data(connection, incident),
            event=event_type,
            received_at=inbound.received_at,
        )


def _timestamp(incident: dict[str, Any], *names: str) -> datetime | None:
    for item in incident["incident_timestamp_values"]:
        if item["incident_timestamp"]["name"].strip().lower() in names and item["value"]:
            value: datetime | None = item["value"]["value"]
            if value is not None:
                return value
    return None


def issue_data(connection: Connection, incident: dict[str, Any]) -> IssueData:
    category = incident["incident_status"]["category"].strip().lower()
    mitigated_at = _timestamp(incident, "mitigated at", "mitigated")
    resolved_at = _timestamp(incident, "resolved at", "resolved")
    counts = category not in NOT_INCIDENTS and incident["mode"].lower() in REAL_MODES
    if category in RESOLVED_CATEGORIES:
        status = IssueStatus.DONE
        resolved_at = resolved_at or incident["updated_at"]
    else:
        status = _CATEGORY_STATUS.get(category, IssueStatus.IN_PROGRESS)
        resolved_at = None
    if connection.setting("resolve_at_mitigation") and mitigated_at is not None:
        # The project measures recovery to mitigation: the incident is restored from then on.
        status, resolved_at = IssueStatus.DONE, min(mitigated_at, resolved_at or mitigated_at)
    severity = incident["severity"] or {}
    incident_type = incident["incident_type"] or {}
    return IssueData(
        issue_key=incident["reference"] or incident["id"],
        title=incident["name"],
        description=incident["summary"] or "",
        status=status,
        original_status=incident["incident_status"]["name"] or category,
        url=incident["permalink"],
        type=INCIDENT_TYPE if counts else "",
        severity=severity.get("name", ""),
        service=incidents.mapped_service(connection, incident_type.get("name", "")),
        created_at=incident["created_at"],
        updated_at=incident["updated_at"],
        resolved_at=resolved_at,
        extra={
            "incidentio_id": incident["id"],
            "status_category": category,
            "mode": incident["mode"],
            "incident_type": incident_type.get("name", ""),
            "mitigated_at": mitigated_at.isoformat() if mitigated_at else None,
        },
    )
