"""What each connection kind can post, as ready-to-paste curl commands for the admin."""

import json
from dataclasses import dataclass

from apps.connections.models import Connection, ConnectionKind

TOKEN = "$DORAHUB_TOKEN"


_HEX_SIG = (
    'SIG=$(printf %s "$BODY" | openssl dgst -sha256 -hmac "$DORAHUB_SECRET" | sed \'s/^.* //\')',
)
# Standard Webhooks (incident.io): base64 HMAC of "id.timestamp.body", keyed with the base64
# part of the whsec_ secret.
_SVIX_SIG = (
    "ID=msg_$(date +%s%N) TS=$(date +%s)",
    "KEY=$(printf %s \"${DORAHUB_SECRET#whsec_}\" | base64 -d | od -An -tx1 | tr -d ' \\n')",
    'SIG=$(printf %s "$ID.$TS.$BODY" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY '
    "-binary | base64)",
)
# auth -> (lines computing $SIG from $BODY and $DORAHUB_SECRET, headers carrying it)
SIGNERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cirrus": (_HEX_SIG, ("X-Cirrus-Signature: $SIG",)),
    "github": (_HEX_SIG, ("X-Hub-Signature-256: sha256=$SIG",)),
    "pagerduty": (_HEX_SIG, ("X-PagerDuty-Signature: v1=$SIG",)),
    "jira": (_HEX_SIG, ("X-Hub-Signature: sha256=$SIG",)),
    "incidentio": (
        _SVIX_SIG,
        ("webhook-id: $ID", "webhook-timestamp: $TS", "webhook-signature: v1,$SIG"),
    ),
}
SIGNED_KINDS = frozenset(SIGNERS)


@dataclass(frozen=True)
class RouteExample:
    title: str
    path: str  # with {id}, {name}
    body: dict | None
    auth: str = "bearer"  # bearer | query | one of SIGNERS
    extra_headers: tuple[str, ...] = ()

    def curl(self, *, base_url: str, connection: Connection) -> str:
        path = self.path.format(id=connection.pk, name=connection.name)
        setup: list[str] = []  # shell lines run before curl (its own lines, not its prefix)
        lines = [f"curl -sS '{base_url}{path}' -X POST"]
        if self.auth == "bearer":
            lines.append(f'  -H "Authorization: Bearer {TOKEN}"')
        for header in self.extra_headers:
            lines.append(f"  -H '{header}'")
        if self.body is not None:
            body = json.dumps(self.body, indent=2)
            if self.auth in SIGNERS:
                computing, headers = SIGNERS[self.auth]
                setup = [f"BODY='{json.dumps(self.body)}'", *computing]
                lines.extend(f'  -H "{header}"' for header in headers)
                lines.append("  -H 'Content-Type: application/json' --data-binary \"$BODY\"")
            else:
                lines.append("  -H 'Content-Type: application/json' -d '" + body + "'")
        return "\n".join([*setup, " \\\n".join(lines)])


_DEPLOYMENT = {
    "repo_url": "https://github.com/acme/shop",
    "commit_sha": "015e3d3b480e417aede5a1293bd61de9b0fd051d",
    "start_time": "2024-05-01T12:00:00+00:00",
    "end_time": "2024-05-01T12:07:00+00:00",
    "result": "SUCCESS",
}
_INCIDENT = {
    "issue_key": "INC-7",
    "title": "Checkout returns 500",
    "type": "INCIDENT",
    "status": "TODO",
    "created_date": "2024-05-02T10:30:00+00:00",
}
_DEVLAKE = (
    RouteExample("Deployment (DevLake)", "/api/rest/plugins/webhook/{id}/deployments", _DEPLOYMENT),
    RouteExample(
        "Deployment by connection name",
        "/api/rest/plugins/webhook/connections/by-name/{name}/deployments",
        _DEPLOYMENT,
    ),
    RouteExample("Incident (DevLake)", "/api/rest/plugins/webhook/{id}/issues", _INCIDENT),
    RouteExample("Close incident", "/api/rest/plugins/webhook/{id}/issue/INC-7/close", None),
)
_NATIVE = (
    RouteExample("Deployment", "/api/v1/connections/{id}/deployments", _DEPLOYMENT),
    RouteExample("Issue or incident", "/api/v1/connections/{id}/issues", _INCIDENT),
    RouteExample("Close issue", "/api/v1/connections/{id}/issues/INC-7/close", None),
)
CATALOG: dict[str, tuple[RouteExample, ...]] = {
    ConnectionKind.DEVLAKE: _DEVLAKE + _NATIVE,
    ConnectionKind.GENERIC: _NATIVE,
    ConnectionKind.ALLSTACKS: (
        RouteExample(
            "Custom CD job (Allstacks)",
            "/webhook/company/1/cicd_job",
            {
                "job_id": "1",
                "status": "Succeeded",
                "commit_sha": "a2e7da86cc392417b0d9f605b28038aae80b002f",
                "triggered_by": "testuser@org.com",
                "repo_id": "12345",
                "service_id": 417,  # Allstacks' own Custom CD service id, kept as sent
                "job_start_time": 1704018030,
                "job_duration": 300,
                "job_type": "Production Deploy",
            },
        ),
    ),
    ConnectionKind.PULSE: (
        RouteExample(
            "Change (Pulse ingestion)",
            f"/v1/ingestion/cli?api_key={TOKEN}",
            {
                "$type": "change",
                "source": "cli",
                "change_id": "a1b2c3d4",
                "time_created": "2024-05-01T10:00:00Z",
                "event_type": "commit",
            },
            auth="query",
        ),
        RouteExample(
            "Deployment (Pulse ingestion)",
            f"/v1/ingestion/cli?api_key={TOKEN}",
            {
                "$type": "deployment",
                "source": "cli",
                "deploy_id": "v1.2.0",
                "time_created": "2024-05-01T12:00:00Z",
                "changes": ["a1b2c3d4"],
            },
            auth="query",
        ),
        RouteExample(
            "Incident (Pulse ingestion)",
            f"/v1/ingestion/cli?api_key={TOKEN}",
            {
                "$type": "incident",
                "source": "cli",
                "incident_id": "INC-7",
                "time_created": "2024-05-02T10:30:00Z",
                "time_resolved": "2024-05-02T11:10:00Z",
            },
            auth="query",
        ),
        RouteExample(
            "Change (native)",
            "/api/v1/connections/{id}/changes",
            {"identifier": "a1b2c3d4", "timestamp": 1714557600},
        ),
        RouteExample(
            "Incident (native)",
            "/api/v1/connections/{id}/incidents",
            {
                "identifier": "INC-7",
                "timestampCreated": 1714645800,
                "timestampResolved": 1714648200,
            },
        ),
    ),
    ConnectionKind.CIRRUS: (
        RouteExample(
            "Cirrus CI delivery (signed)",
            "/api/v1/connections/{id}/cirrus",
            {
                "action": "updated",
                "repository": {"id": 1, "owner": "acme", "name": "shop"},
                "build": {
                    "id": 2,
                    "branch": "main",
                    "changeIdInRepo": "a1b2c3d4",
                    "status": "NEEDS_APPROVAL",
                },
            },
            auth="cirrus",
            extra_headers=("X-Cirrus-Event: build",),
        ),
    ),
    ConnectionKind.GITHUB: (
        RouteExample(
            "GitHub webhook (signed)",
            "/api/v1/connections/{id}/github",
            {"zen": "Keep it logically awesome.", "hook_id": 1},
            auth="github",
            extra_headers=("X-GitHub-Event: ping", "X-GitHub-Delivery: 1"),
        ),
    ),
    ConnectionKind.PAGERDUTY: (
        RouteExample(
            "PagerDuty V3 webhook (signed)",
            "/api/v1/connections/{id}/pagerduty",
            {
                "event": {
                    "id": "01DEMO",
                    "event_type": "incident.triggered",
                    "resource_type": "incident",
                    "occurred_at": "2024-05-02T10:30:00Z",
                    "data": {
                        "id": "PDEMO01",
                        "type": "incident",
                        "status": "triggered",
                        "title": "Checkout returns 500",
                        "created_at": "2024-05-02T10:30:00Z",
                        "service": {"id": "PSVC01", "summary": "checkout"},
                        "urgency": "high",
                    },
                }
            },
            auth="pagerduty",
        ),
    ),
    ConnectionKind.OPSGENIE: (
        RouteExample(
            "Opsgenie alert (token in a custom header)",
            "/api/v1/connections/{id}/opsgenie",
            {
                "action": "Create",
                "alert": {
                    "alertId": "demo-alert-1",
                    "message": "Checkout returns 500",
                    "priority": "P1",
                    "tags": [],
                    "createdAt": 1714645800000,
                    "updatedAt": 1714645800000000000,
                },
            },
        ),
    ),
    ConnectionKind.INCIDENTIO: (
        RouteExample(
            "incident.io webhook (Standard Webhooks signature)",
            "/api/v1/connections/{id}/incidentio",
            {
                "event_type": "public_incident.incident_created_v2",
                "public_incident.incident_created_v2": {
                    "id": "01DEMO",
                    "reference": "INC-7",
                    "name": "Checkout returns 500",
                    "incident_status": {"name": "Investigating", "category": "live"},
                    "created_at": "2024-05-02T10:30:00Z",
                    "updated_at": "2024-05-02T10:30:00Z",
                },
            },
            auth="incidentio",
        ),
    ),
    ConnectionKind.JIRA: (
        RouteExample(
            "Jira webhook (signed)",
            "/api/v1/connections/{id}/jira",
            {
                "webhookEvent": "jira:issue_created",
                "issue": {
                    "id": "10001",
                    "key": "OPS-7",
                    "fields": {
                        "summary": "Checkout returns 500",
                        "issuetype": {"name": "Incident"},
                        "project": {"key": "OPS"},
                        "created": "2024-05-02T10:30:00.000+0000",
                        "updated": "2024-05-02T10:30:00.000+0000",
                    },
                },
            },
            auth="jira",
        ),
    ),
}


def examples_for(*, connection: Connection, base_url: str) -> list[tuple[str, str]]:
    """(title, curl command) for every route the connection's kind supports."""
    routes = CATALOG.get(connection.kind, _NATIVE)
    out = []
    for route in routes:
        out.append((route.title, route.curl(base_url=base_url, connection=connection)))
    return out
