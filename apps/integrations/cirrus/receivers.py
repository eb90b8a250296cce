"""Cirrus CI webhook deliveries, authenticated by the HMAC signature of the body."""

import hashlib
from typing import Any

from rest_framework import serializers, status

from apps.ci.reports import JobWrite, PipelineWrite
from apps.ci.services import record_build, record_job
from apps.connections.models import Connection
from apps.core.signatures import hmac_sha256_hex
from apps.ingest.authentication import Signature
from apps.ingest.receivers import Inbound, Outcome, Receipt, Receiver, register
from apps.integrations.cirrus.serializers import EVENTS, CirrusEventSerializer, flatten, prefixed

SIGNATURE_HEADER = "X-Cirrus-Signature"
EVENT_HEADER = "X-Cirrus-Event"


def _state(write: PipelineWrite | JobWrite) -> str:
    if write.stale:
        return "stale"
    return "created" if write.created else "updated" if write.changed else "unchanged"


def cirrus_signature(secret: str, body: bytes) -> str:
    """Cirrus CI's `X-Cirrus-Signature`: the hex HMAC-SHA256 of the raw body."""
    return hmac_sha256_hex(secret=secret, body=body)


SIGNATURE = Signature(
    header=SIGNATURE_HEADER,
    sign=cirrus_signature,
    normalise=lambda value: value.strip().lower(),
    setup="set the same secret token in Cirrus CI and on this connection",
    # `allow_unsigned` accepts deliveries without the header even when a secret is set.
    unsigned="always",
)


@register
class CirrusReceiver(Receiver):
    route = "cirrus"
    authentication = SIGNATURE

    def delivery_id(self, inbound: Inbound) -> str:
        # Cirrus sends no delivery id: the same event with a byte-identical body is the same
        # delivery retried.
        event = (inbound.headers.get(EVENT_HEADER) or "").encode("utf-8", "replace")
        digest = hashlib.sha256(event + b"\n" + inbound.body).hexdigest()
        return super().delivery_id(inbound) or f"sha256:{digest}"

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt:
        event, serializer = self.validated(payload=payload, inbound=inbound)
        body: dict[str, Any] = {"event": event}
        if serializer is None:
            body["status"] = "ignored"
        else:
            body["build"] = {"external_id": serializer.build_data().external_id}
        # Cirrus counts only 200 as delivered.
        return Receipt(body=body, status_code=status.HTTP_200_OK)

    def validated(
        self, *, payload: Any, inbound: Inbound
    ) -> tuple[str, CirrusEventSerializer | None]:
        """The event and its valid body; no serializer for an event DORA Hub ignores."""
        event = (inbound.headers.get(EVENT_HEADER) or "").strip().lower()
        if event not in EVENTS:
            problem = (
                f"Unknown event {event!r}; expected one of {', '.join(EVENTS)}."
                if event
                else "This header is required."
            )
            raise serializers.ValidationError({EVENT_HEADER: [problem]})
        if event == "audit_event":
            return event, None
        flat, prefix = flatten(payload)
        serializer = CirrusEventSerializer(data=flat, event=event)
        if not serializer.is_valid():
            raise serializers.ValidationError(prefixed(serializer.errors, prefix))
        return event, serializer

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        event, serializer = self.validated(payload=payload, inbound=inbound)
        if serializer is None:
            # Deliberately ignored, and still 200: Cirrus counts only 200 as delivered.
            return Outcome(
                status_code=status.HTTP_200_OK,
                body={"event": event, "status": "ignored"},
            )
        received_at = inbound.received_at
        build = record_build(
            connection=connection, data=serializer.build_data(), received_at=received_at
        )
        task = None
        if event == "task":
            task = record_job(
                connection=connection,
                data=serializer.task_data(),
                received_at=received_at,
                pipeline=build.pipeline,
            )
        return self._outcome(event=event, build=build, task=task)

    @staticmethod
    def _outcome(*, event: str, build: PipelineWrite, task: JobWrite | None) -> Outcome:
        # Only deployments have derive steps; builds and tasks alone change nothing to derive.
        effects: dict[str, list[Any]] = {}
        deployment = task.deployment if task is not None else None
        if deployment is not None and deployment.changed:
            effects["deployments"] = [deployment.deployment.pk]
        pipeline = build.pipeline
        body: dict[str, Any] = {
            "event": event,
            "build": {
                "id": pipeline.pk,
                "external_id": pipeline.external_id,
                "status": _state(build),
                "build_status": pipeline.status,
                "original_status": pipeline.original_status,
            },
            "task": None,
            "deployment": None,
        }
        if task is not None:
            body["task"] = {
                "id": task.job.pk,
                "external_id": task.job.external_id,
                "status": _state(task),
                "task_status": task.job.status,
                "original_status": task.job.original_status,
            }
        if deployment is not None:
            body["deployment"] = {
                "id": deployment.deployment.pk,
                "external_id": deployment.deployment.external_id,
                "environment": deployment.deployment.environment,
                "result": deployment.deployment.result,
            }
        changed = build.changed or (task is not None and task.changed)
        stale = build.stale or (task is not None and task.stale)
        # Cirrus counts only 200 as delivered.
        return Outcome(
            status_code=status.HTTP_200_OK,
            body=body,
            duplicate=not changed and not stale,
            effects=effects,
        )
