"""What GitHub gets back: an accepted event's body, an ignored event (202, never refused, so
GitHub's delivery log stays green), a deployment's answer."""

from typing import Any

from rest_framework import serializers, status

from apps.ingest.receivers import Outcome


def validated(serializer_class: type[serializers.Serializer], payload: Any) -> dict[str, Any]:
    serializer = serializer_class(data=payload)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def accepted(event: str, **body: Any) -> dict[str, Any]:
    return {"event": event, "status": "accepted", **body}


def ignored(event: str, reason: str) -> Outcome:
    return Outcome(
        status_code=status.HTTP_202_ACCEPTED,
        body={"event": event, "status": "ignored", "reason": reason},
    )


def deployment_answer(event: str, written: Any) -> Outcome:
    deployment = written.deployment
    return Outcome(
        status_code=status.HTTP_200_OK,
        body=accepted(
            event,
            deployment_id=deployment.pk,
            environment=deployment.environment,
            result=deployment.result,
        ),
        duplicate=not written.changed,
        effects={"deployments": [deployment.pk]} if written.changed else {},
    )
