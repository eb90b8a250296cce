"""Pulse's ingestion webhook, `cli` provider: the Pulse event CLI's bodies."""

from typing import Any

from apps.connections.models import Connection
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.ingest.authentication import TokenNamesConnection
from apps.ingest.receivers import Inbound, Outcome, Receipt, Receiver, register
from apps.integrations.outcomes import (
    ChangeReport,
    change_outcome,
    change_outcomes,
    combined_outcome,
    deployment_outcome,
    incident_outcome,
)
from apps.integrations.pulse.serializers import PulseEvent, parse_events
from apps.issues.services import IssueData

# Pulse's URL names no connection: the API key does.
KEY_NAMES_CONNECTION = TokenNamesConnection(
    hint="add ?api_key=<token> or send 'Authorization: Bearer <token>'"
)


def apply_event(*, connection: Connection, event: PulseEvent) -> Outcome:
    if isinstance(event, ChangeReport):
        return change_outcome(connection=connection, report=event)
    if isinstance(event, DeploymentData):
        return deployment_outcome(upsert_deployment(connection=connection, data=event))
    if isinstance(event, IssueData):
        return incident_outcome(connection=connection, data=event)
    raise TypeError(f"not a Pulse event: {event!r}")


@register
class PulseCliReceiver(Receiver):
    """`POST /v1/ingestion/cli?api_key=...[&system=...]`: Pulse's event CLI bodies, one object
    or (DORA Hub extension) an array of them applied together."""

    route = "pulse_cli"
    authentication = KEY_NAMES_CONNECTION
    expects_object = False

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt:
        events = parse_events(payload, system=inbound.query.get("system", ""))
        return Receipt(body={"events": [_identity(event) for event in events]})

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        events = parse_events(payload, system=inbound.query.get("system", ""))
        if isinstance(payload, dict):
            return apply_event(connection=connection, event=events[0])
        return combined_outcome(apply_events(connection=connection, events=events))


def _identity(event: PulseEvent) -> dict[str, str]:
    if isinstance(event, ChangeReport):
        return {"type": "change", "sha": event.sha}
    if isinstance(event, DeploymentData):
        return {"type": "deployment", "external_id": event.identity()}
    return {"type": "incident", "issue_key": event.issue_key}


def apply_events(*, connection: Connection, events: list[PulseEvent]) -> list[Outcome]:
    """The events in order; each run of consecutive changes is one set-based write."""
    outcomes: list[Outcome] = []
    changes: list[ChangeReport] = []
    for event in [*events, None]:
        if isinstance(event, ChangeReport):
            changes.append(event)
            continue
        if changes:
            outcomes += change_outcomes(connection=connection, reports=changes)
            changes = []
        if event is not None:
            outcomes.append(apply_event(connection=connection, event=event))
    return outcomes
