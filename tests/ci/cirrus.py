"""Cirrus CI deliveries for tests: the real delivery from the issue, variations of it, and
a signed POST the way Cirrus makes it."""

import copy
import hashlib
import hmac
import json
from typing import Any

SECRET = "cirrus-secret-token"

# A real delivery (X-Cirrus-Event: task), as quoted in issue #4.
REAL_TASK_DELIVERY = (
    '{"action":"created","repository":{"id":5129885287448576,"owner":"edigaryev",'
    '"name":"awesome-system-calls","isPrivate":false},"build":{"id":5082236150611968,'
    '"branch":"main","durationInSeconds":18,'
    '"changeIdInRepo":"1a7a425b71fd28274b739c9d410ca966aedbcd63",'
    '"changeTimestamp":1722406690000,"changeMessageTitle":"Periodic update (#7)",'
    '"status":"EXECUTING","user":{"id":5702969901449216,"username":"edigaryev"}},'
    '"task":{"id":6017965227769856,"name":"Lint (cargo fmt)","nameAlias":"lint",'
    '"status":"EXECUTING","statusTimestamp":1722408869403,"creationTimestamp":1722408865412,'
    '"durationInSeconds":1,"uniqueLabels":[],"automaticReRun":false,'
    '"automaticallyReRunnable":false,"instanceType":"CommunityContainer","notifications":[]}}'
)
REAL = json.loads(REAL_TASK_DELIVERY)
BUILD_ID = "5082236150611968"
TASK_ID = "6017965227769856"
SHA = "1a7a425b71fd28274b739c9d410ca966aedbcd63"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_event(status: str, old_status: str | None = None, **build: Any) -> dict[str, Any]:
    """A `build` delivery in the flat shape Cirrus sends (with its empty `task`)."""
    payload = copy.deepcopy(REAL)
    payload["action"] = "updated" if old_status else "created"
    if old_status:
        payload["old_status"] = old_status
    payload["build"].update(status=status, **build)
    payload["task"] = {}
    return payload


def task_event(
    status: str,
    at: int,
    old_status: str | None = None,
    build_status: str = "EXECUTING",
    **task: Any,
) -> dict[str, Any]:
    payload = copy.deepcopy(REAL)
    payload["action"] = "updated" if old_status else "created"
    if old_status:
        payload["old_status"] = old_status
    payload["build"]["status"] = build_status
    payload["task"].update(status=status, statusTimestamp=at, **task)
    return payload


def documented_shape(payload: dict[str, Any]) -> dict[str, Any]:
    """The same delivery in the shape Cirrus documents: sections under `data`."""
    sections = {k: payload[k] for k in ("repository", "build", "task") if k in payload}
    rest = {k: v for k, v in payload.items() if k not in sections}
    return {**rest, "data": sections}


def deliver(
    client: Any,
    connection: Any,
    payload: dict[str, Any] | str | bytes,
    *,
    event: str | None = "task",
    secret: str | None = SECRET,
    signature: str | None = None,
) -> Any:
    if isinstance(payload, dict):
        body = json.dumps(payload).encode()
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        body = payload
    headers = {}
    if event is not None:
        headers["HTTP_X_CIRRUS_EVENT"] = event
    if signature is not None:
        headers["HTTP_X_CIRRUS_SIGNATURE"] = signature
    elif secret is not None:
        headers["HTTP_X_CIRRUS_SIGNATURE"] = sign(body, secret)
    return client.post(
        f"/api/v1/connections/{connection.pk}/cirrus",
        data=body,
        content_type="application/json",
        **headers,
    )
