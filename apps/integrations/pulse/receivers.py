"""Pulse's ingestion webhook (`cli` provider) and the native change and incident routes."""

from typing import Any

from rest_framework import status
from rest_framework.exceptions import NotAuthenticated

from apps.connections.authentication import extract_token
from apps.connections.models import ApiToken, Connection
from apps.connections.services import authenticate_token
from apps.core.errors import Code
from apps.deployments.services import DeploymentData, record_change, upsert_deployment
from apps.ingest.receivers import Inbound, Outcome, Receiver, register
from apps.integrations.devlake.receivers import deployment_outcome, issue_outcome
from apps.integrations.pulse.serializers import (
    ChangeReport,
    NativeChangeSerializer,
    NativeDeploymentSerializer,
    NativeIncidentSerializer,
    PulseEvent,
    parse_events,
)
from apps.issues.services import IssueData, upsert_issue


class TokenConnectionMixin:
    """For routes without a connection in the URL: the API key (`?api_key=` or Bearer) names
    it. The pipeline has recorded the delivery before this runs, so refusals are in the inbox."""

    token: ApiToken | None = None

    def resolve_connection(self, inbound: Inbound) -> Connection:
        if inbound.replay:
            # Replays carry no key (it is redacted); the pipeline passes the connection the
            # delivery was authenticated for.
            return Receiver.resolve_connection(self, inbound)  # type: ignore[arg-type]
        plaintext = extract_token(inbound.headers, inbound.query)
        if plaintext is None:
            raise NotAuthenticated(
                "Authentication required: add ?api_key=<token> or send "
                "'Authorization: Bearer <token>'.",
                code=Code.NOT_AUTHENTICATED,
            )
        self.token = authenticate_token(plaintext=plaintext)
        return self.token.connection

    def authenticate(self, inbound: Inbound, connection: Connection) -> ApiToken | None:
        # The key was checked while resolving the connection; receivers that verify something
        # more (a signature) still do.
        check = super().authenticate  # type: ignore[misc]
        if getattr(check, "__func__", None) is not Receiver.authenticate:
            return check(inbound, connection)
        return self.token


def apply_event(*, connection: Connection, event: PulseEvent) -> Outcome:
    if isinstance(event, ChangeReport):
        return change_outcome(connection=connection, report=event)
    if isinstance(event, DeploymentData):
        return deployment_outcome(upsert_deployment(connection=connection, data=event))
    if isinstance(event, IssueData):
        return incident_outcome(connection=connection, data=event)
    raise TypeError(f"not a Pulse event: {event!r}")


def change_outcome(*, connection: Connection, report: ChangeReport) -> Outcome:
    commit, changed = record_change(
        project=connection.project,
        sha=report.sha,
        reported_at=report.at if report.kind == "push" else None,
        authored_at=report.at if report.kind == "commit" else None,
        repo_url=report.repo_url,
        service=report.service,
    )
    body = {
        "sha": commit.sha,
        "status": "recorded" if changed else "unchanged",
        "service": commit.service,
        "start_at": commit.start_at.isoformat() if commit.start_at else None,
    }
    return Outcome(status_code=status.HTTP_200_OK, body=body, duplicate=not changed)


def incident_outcome(*, connection: Connection, data: IssueData) -> Outcome:
    # Pulse senders only ever add a resolution: an incident re-sent without one (a retried
    # job, a late "opened" report) must not re-open it.
    return issue_outcome(upsert_issue(connection=connection, data=data, keep_resolution=True))


def combined_outcome(outcomes: list[Outcome]) -> Outcome:
    effects: dict[str, list[Any]] = {}
    for outcome in outcomes:
        for kind, ids in outcome.effects.items():
            known = effects.setdefault(kind, [])
            known.extend(i for i in ids if i not in known)
    return Outcome(
        status_code=status.HTTP_200_OK,
        body={"results": [outcome.body for outcome in outcomes]},
        duplicate=all(outcome.duplicate for outcome in outcomes),
        effects=effects,
    )


@register
class PulseCliReceiver(TokenConnectionMixin, Receiver):
    """`POST /v1/ingestion/cli?api_key=...[&system=...]`: Pulse's event CLI bodies, one object
    or (DORA Hub extension) an array of them applied together."""

    route = "pulse_cli"
    expects_object = False

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        events = parse_events(payload, system=inbound.query.get("system", ""))
        outcomes = [apply_event(connection=connection, event=event) for event in events]
        return outcomes[0] if isinstance(payload, dict) else combined_outcome(outcomes)


@register
class ChangesReceiver(Receiver):
    """`POST /api/v1/connections/{id}/changes` with the Pulse CLI's field names."""

    route = "changes"
    serializer_class = NativeChangeSerializer

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        serializer = self.serializer_class(data=payload)
        serializer.is_valid(raise_exception=True)
        return change_outcome(connection=connection, report=serializer.to_event())


@register
class IncidentsReceiver(Receiver):
    """`POST /api/v1/connections/{id}/incidents` with the Pulse CLI's field names."""

    route = "incidents"
    serializer_class = NativeIncidentSerializer

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        serializer = self.serializer_class(data=payload)
        serializer.is_valid(raise_exception=True)
        return incident_outcome(connection=connection, data=serializer.to_event())


def handle_native_deployment(*, connection: Connection, payload: Any) -> Outcome:
    """The native deployments route's Pulse-style body (`identifier` + commit list)."""
    serializer = NativeDeploymentSerializer(data=payload)
    serializer.is_valid(raise_exception=True)
    return deployment_outcome(upsert_deployment(connection=connection, data=serializer.to_event()))
