"""What each connection kind can post, as ready-to-paste curl commands for the admin."""

import json
from dataclasses import dataclass

from apps.connections.models import Connection, ConnectionKind

TOKEN = "$DORAHUB_TOKEN"


@dataclass(frozen=True)
class RouteExample:
    title: str
    path: str  # with {id}, {name}
    body: dict | None
    auth: str = "bearer"  # bearer | query | cirrus | github
    extra_headers: tuple[str, ...] = ()

    def curl(self, *, base_url: str, connection: Connection) -> str:
        path = self.path.format(id=connection.pk, name=connection.name)
        lines = [f"curl -sS '{base_url}{path}' -X POST"]
        if self.auth == "bearer":
            lines.append(f'  -H "Authorization: Bearer {TOKEN}"')
        for header in self.extra_headers:
            lines.append(f"  -H '{header}'")
        if self.body is not None:
            body = json.dumps(self.body, indent=2)
            if self.auth == "cirrus":
                lines.insert(0, f"BODY='{json.dumps(self.body)}'")
                lines.insert(
                    1,
                    'SIG=$(printf %s "$BODY" | openssl dgst -sha256 -hmac "$DORAHUB_SECRET" '
                    "| sed 's/^.* //')",
                )
                lines.append('  -H "X-Cirrus-Signature: $SIG"')
                lines.append("  -H 'Content-Type: application/json' --data-binary \"$BODY\"")
            elif self.auth == "github":
                lines.insert(0, f"BODY='{json.dumps(self.body)}'")
                lines.insert(
                    1,
                    'SIG=$(printf %s "$BODY" | openssl dgst -sha256 -hmac "$DORAHUB_SECRET" '
                    "| sed 's/^.* //')",
                )
                lines.append('  -H "X-Hub-Signature-256: sha256=$SIG"')
                lines.append("  -H 'Content-Type: application/json' --data-binary \"$BODY\"")
            else:
                lines.append("  -H 'Content-Type: application/json' -d '" + body + "'")
        return " \\\n".join(lines)


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
}


def examples_for(*, connection: Connection, base_url: str) -> list[tuple[str, str]]:
    """(title, curl command) for every route the connection's kind supports."""
    routes = CATALOG.get(connection.kind, _NATIVE)
    out = []
    for route in routes:
        out.append((route.title, route.curl(base_url=base_url, connection=connection)))
    return out
