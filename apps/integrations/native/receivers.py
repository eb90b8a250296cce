"""DORA Hub's own ingestion routes, `POST /api/v1/connections/{id}/...`, authenticated by the
connection's API token.

Deployments and issues take DevLake's webhook format (a deployment may instead use the Pulse
CLI's field names: `identifier`, epoch `timestamp`, a list of commit identifiers); changes and
incidents take the Pulse CLI's field names. The formats are those adapters' serializers; the
routes and what they answer are this adapter's.
"""

from typing import Any

from apps.connections.models import Connection
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.ingest.receivers import (
    Inbound,
    Outcome,
    Planned,
    Receipt,
    Receiver,
    SerializerReceiver,
    register,
)
from apps.integrations.devlake.serializers import DeploymentSerializer, IssueSerializer
from apps.integrations.outcomes import (
    change_outcome,
    deployment_outcome,
    deployment_outcomes,
    incident_outcome,
    issue_outcome,
)
from apps.integrations.pulse.serializers import (
    NativeChangeSerializer,
    NativeDeploymentSerializer,
    NativeIncidentSerializer,
)
from apps.issues.services import close_issue, upsert_issue


@register
class DeploymentsReceiver(SerializerReceiver):
    """`POST /api/v1/connections/{id}/deployments`: DevLake's deployment body, or the Pulse
    CLI's (`identifier` + commit list)."""

    route = "deployments"
    serializer_class = DeploymentSerializer

    def serializer_for(self, payload: Any) -> Any:
        return NativeDeploymentSerializer if "identifier" in payload else DeploymentSerializer

    @staticmethod
    def data(serializer: Any, *, inbound: Inbound) -> DeploymentData:
        if isinstance(serializer, NativeDeploymentSerializer):
            return serializer.to_event()
        return serializer.to_data(received_at=inbound.received_at)

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt:
        serializer = self.validated(connection=connection, payload=payload, inbound=inbound)
        return self.receipt(self.data(serializer, inbound=inbound))

    @staticmethod
    def receipt(data: DeploymentData, **fields: Any) -> Receipt:
        """The deployment's identity, and the validated deployment for the applier."""
        return Receipt(body={"external_id": data.identity()}, validated=data.to_json(), **fields)

    def plan_stored(self, *, validated: dict[str, Any], readings: list[dict[str, str]]) -> Planned:
        return Planned(writer=deployment_outcomes, data=DeploymentData.from_json(validated))

    def plan(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Planned:
        serializer = self.validated(connection=connection, payload=payload, inbound=inbound)
        return Planned(writer=deployment_outcomes, data=self.data(serializer, inbound=inbound))

    def apply(self, serializer: Any, *, connection: Connection, inbound: Inbound) -> Outcome:
        data = self.data(serializer, inbound=inbound)
        return deployment_outcome(upsert_deployment(connection=connection, data=data))


@register
class IssuesReceiver(SerializerReceiver):
    """`POST /api/v1/connections/{id}/issues`: DevLake's issue body."""

    route = "issues"
    serializer_class = IssueSerializer

    def identity(self, serializer: Any, *, inbound: Inbound) -> dict[str, Any]:
        return {"issue_key": serializer.to_data().issue_key}

    def apply(self, serializer: Any, *, connection: Connection, inbound: Inbound) -> Outcome:
        return issue_outcome(upsert_issue(connection=connection, data=serializer.to_data()))


@register
class IssueCloseReceiver(Receiver):
    """`POST /api/v1/connections/{id}/issues/{issue_key}/close`: no body."""

    route = "issue_close"

    def parse(self, inbound: Inbound) -> Any:
        return None  # DevLake's close call has an empty body; anything sent is ignored

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        return issue_outcome(
            close_issue(connection=connection, issue_key=inbound.params["issue_key"])
        )


@register
class ChangesReceiver(SerializerReceiver):
    """`POST /api/v1/connections/{id}/changes` with the Pulse CLI's field names."""

    route = "changes"
    serializer_class = NativeChangeSerializer

    def identity(self, serializer: Any, *, inbound: Inbound) -> dict[str, Any]:
        return {"sha": serializer.to_event().sha}

    def apply(self, serializer: Any, *, connection: Connection, inbound: Inbound) -> Outcome:
        return change_outcome(connection=connection, report=serializer.to_event())


@register
class IncidentsReceiver(SerializerReceiver):
    """`POST /api/v1/connections/{id}/incidents` with the Pulse CLI's field names."""

    route = "incidents"
    serializer_class = NativeIncidentSerializer

    def identity(self, serializer: Any, *, inbound: Inbound) -> dict[str, Any]:
        return {"issue_key": serializer.to_event().issue_key}

    def apply(self, serializer: Any, *, connection: Connection, inbound: Inbound) -> Outcome:
        return incident_outcome(connection=connection, data=serializer.to_event())
