"""DevLake's incoming webhooks; also DORA Hub's native deployment and issue routes."""

from typing import Any

from django.utils import timezone
from rest_framework import status

from apps.connections.models import Connection
from apps.deployments.services import upsert_deployment
from apps.ingest.receivers import Inbound, Outcome, Receiver, register
from apps.integrations.devlake.serializers import DeploymentSerializer, IssueSerializer
from apps.issues.services import close_issue, upsert_issue


def deployment_outcome(result: Any) -> Outcome:
    deployment = result.deployment
    body = {
        "id": deployment.pk,
        "external_id": deployment.external_id,
        "status": "created" if result.created else ("updated" if result.changed else "unchanged"),
        "commit_count": result.commit_count,
    }
    return Outcome(
        status_code=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        body=body,
        duplicate=not result.changed,
        effects={"deployments": [deployment.pk]} if result.changed else {},
    )


def issue_outcome(result: Any) -> Outcome:
    issue = result.issue
    body = {
        "id": issue.pk,
        "issue_key": issue.issue_key,
        "status": "created" if result.created else ("updated" if result.changed else "unchanged"),
        "is_incident": issue.is_incident,
        "resolved_at": issue.resolved_at.isoformat() if issue.resolved_at else None,
    }
    return Outcome(
        status_code=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        body=body,
        duplicate=not result.changed,
        effects={"incidents": [issue.pk]} if result.changed and issue.is_incident else {},
    )


@register
class DeploymentsReceiver(Receiver):
    route = "deployments"
    serializer_class = DeploymentSerializer

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        if "identifier" in payload:
            # Pulse-style body (`identifier`, epoch `timestamp`, a list of commit shas).
            from apps.integrations.pulse.receivers import handle_native_deployment

            return handle_native_deployment(connection=connection, payload=payload)
        serializer = self.serializer_class(data=payload)
        serializer.is_valid(raise_exception=True)
        data = serializer.to_data(received_at=timezone.now())
        return deployment_outcome(upsert_deployment(connection=connection, data=data))


@register
class IssuesReceiver(Receiver):
    route = "issues"
    serializer_class = IssueSerializer

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        serializer = self.serializer_class(data=payload)
        serializer.is_valid(raise_exception=True)
        return issue_outcome(upsert_issue(connection=connection, data=serializer.to_data()))


@register
class IssueCloseReceiver(Receiver):
    route = "issue_close"

    def parse(self, inbound: Inbound) -> Any:
        return None  # DevLake's close call has an empty body; anything sent is ignored

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        result = close_issue(connection=connection, issue_key=inbound.params["issue_key"])
        return issue_outcome(result)
