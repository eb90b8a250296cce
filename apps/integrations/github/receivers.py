"""GitHub's webhooks, received directly: `POST /api/v1/connections/{id}/github`.

Each event GitHub sends is translated into the same service calls every source uses; events
DORA Hub has no use for are answered 202 and kept in the inbox, never refused, so GitHub's
delivery log stays green.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, ValidationError

from apps.connections.models import Connection
from apps.core import strict_json
from apps.core.errors import Code
from apps.ingest.receivers import Inbound, Outcome, Receipt, Receiver, register
from apps.integrations.github import changes, deployments, incidents, workflow_runs
from apps.integrations.github import serializers as s
from apps.integrations.github.answers import ignored, validated
from apps.integrations.github.authentication import SIGNATURE, SIGNATURE_HEADER, signature_matches
from apps.integrations.github.mapping import environment_for

__all__ = ["SIGNATURE_HEADER", "GitHubReceiver", "environment_for", "signature_matches"]


def on_ping(*, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
    return Outcome(
        status_code=status.HTTP_200_OK,
        body={"event": "ping", "status": "pong", "hook_id": payload.get("hook_id")},
    )


# Every other event is answered 202.
HANDLERS: dict[str, Callable[..., Outcome]] = {
    "ping": on_ping,
    "push": changes.on_push,
    "pull_request": changes.on_pull_request,
    "create": changes.on_create,
    "deployment_status": deployments.on_deployment_status,
    "release": deployments.on_release,
    "workflow_run": workflow_runs.on_workflow_run,
    "issues": incidents.on_issues,
}
HANDLED_EVENTS = frozenset(HANDLERS)
# The body each handler validates before it writes anything: the request validates it the same
# way, so an event is refused (or receipted) before it is applied.
BODIES: dict[str, type[serializers.Serializer[Any]]] = {
    "push": s.PushSerializer,
    "pull_request": s.PullRequestSerializer,
    "create": s.CreateSerializer,
    "deployment_status": s.DeploymentStatusSerializer,
    "release": s.ReleaseSerializer,
    "workflow_run": s.WorkflowRunSerializer,
    "issues": s.IssuesSerializer,
}


@register
class GitHubReceiver(Receiver):
    route = "github"
    authentication = SIGNATURE

    def delivery_id(self, inbound: Inbound) -> str:
        # A redelivery from GitHub's UI repeats the GUID; the hook id keeps two webhooks
        # (repository and organisation) sending the same event apart.
        guid = inbound.headers.get("X-GitHub-Delivery", "").strip()
        if not guid:
            return ""
        return f"{inbound.headers.get('X-GitHub-Hook-ID', '').strip()}:{guid}"[:200]

    def parse(self, inbound: Inbound) -> Any:
        content_type = inbound.headers.get("Content-Type", "").lower()
        if content_type.startswith("application/x-www-form-urlencoded"):
            # GitHub's "application/x-www-form-urlencoded" option: the JSON is in `payload`.
            form = parse_qs(inbound.body.decode("utf-8", errors="replace"))
            if "payload" not in form:
                raise ParseError(
                    "Form-encoded delivery without a payload field.", code=Code.MALFORMED_JSON
                )
            try:
                payload = strict_json.loads(form["payload"][0].encode())
            except strict_json.MalformedJSON as exc:
                raise ParseError(f"Malformed JSON: {exc}", code=Code.MALFORMED_JSON) from None
            if not isinstance(payload, dict):
                raise ParseError("Expected a JSON object in payload.", code=Code.MALFORMED_JSON)
            return payload
        return super().parse(inbound)

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt | None:
        event = self.event(inbound)
        body = BODIES.get(event)
        if body is None:
            return None  # a ping, or an event DORA Hub does not use: answered at once
        validated(body, payload)
        return Receipt(body={"event": event})

    @staticmethod
    def event(inbound: Inbound) -> str:
        event = inbound.headers.get("X-GitHub-Event", "").strip()
        if not event:
            raise ValidationError({"X-GitHub-Event": ["This header is required."]})
        return event

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        event = self.event(inbound)
        handler = HANDLERS.get(event)
        if handler is None:
            return ignored(event[:100], "DORA Hub does not use this event.")
        return handler(connection=connection, payload=payload, received_at=inbound.received_at)
