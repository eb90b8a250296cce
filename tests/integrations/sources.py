"""Deliveries as the incident tools send them: their documented example payloads (saved in
`fixtures/<provider>/`, see fixtures/README.md), signed with each provider's own scheme."""

import base64
import copy
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "dorahub-test-secret"
SVIX_SECRET = "whsec_" + base64.b64encode(b"incident.io signing key for tests").decode()


def fixture_names(provider: str) -> list[str]:
    return sorted(path.stem for path in (FIXTURES / provider).glob("*.json"))


def raw(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / f"{name}.json").read_bytes()


def load(provider: str, name: str) -> dict[str, Any]:
    return json.loads(raw(provider, name))


def changed(payload: dict[str, Any], **paths: Any) -> dict[str, Any]:
    """A deep copy with dotted paths replaced: changed(P, **{"event.data.status": "resolved"})."""
    result = copy.deepcopy(payload)
    for dotted, value in paths.items():
        *parents, last = dotted.split(".")
        node = result
        for key in parents:
            node = node[key]
        node[last] = value
    return result


def encoded(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pagerduty_headers(body: bytes, *secrets: str) -> dict[str, str]:
    signatures = ",".join(f"v1={hex_hmac(secret, body)}" for secret in secrets or (SECRET,))
    return {"HTTP_X_PAGERDUTY_SIGNATURE": signatures}


def jira_headers(body: bytes, secret: str = SECRET, identifier: str = "") -> dict[str, str]:
    headers = {"HTTP_X_HUB_SIGNATURE": f"sha256={hex_hmac(secret, body)}"}
    if identifier:
        headers["HTTP_X_ATLASSIAN_WEBHOOK_IDENTIFIER"] = identifier
    return headers


def svix_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def incidentio_headers(
    body: bytes,
    secret: str = SVIX_SECRET,
    *,
    message_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "HTTP_WEBHOOK_ID": message_id,
        "HTTP_WEBHOOK_TIMESTAMP": stamp,
        "HTTP_WEBHOOK_SIGNATURE": svix_signature(secret, message_id, stamp, body),
    }


def post(client: Any, connection: Any, route: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/connections/{connection.pk}/{route}",
        data=body,
        content_type="application/json",
        **headers,
    )
