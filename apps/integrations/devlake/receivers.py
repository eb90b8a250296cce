"""DevLake's incoming webhooks; also DORA Hub's native deployment and issue routes."""

from typing import Any

from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from apps.connections.authentication import extract_token
from apps.connections.models import ApiToken, Connection
from apps.connections.services import authenticate_token
from apps.core.errors import Code
from apps.core.serializer_fields import DEVLAKE_TIMES, TIME_READINGS
from apps.deployments.pull_requests import record_pull_request
from apps.deployments.services import upsert_deployment
from apps.ingest.receivers import Inbound, Outcome, Receiver, register
from apps.integrations.devlake.serializers import (
    DeploymentSerializer,
    IssueSerializer,
    PullRequestSerializer,
)
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


# --- DevLake's own routes: its answers, its time forms, pull requests --------------------


def devlake_answer(outcome: Outcome, *, readings: list[dict[str, str]] | None = None) -> Outcome:
    """DevLake answers 200 with `success` (server/api/shared/api_output.go); DORA Hub's own
    fields stay beside it, so `status` still says created, updated or unchanged."""
    outcome.status_code = status.HTTP_200_OK
    outcome.body = {"code": 0, "success": True, "message": "success", **outcome.body}
    outcome.readings = list(readings or [])
    return outcome


def devlake_validate(
    serializer_class: type[serializers.Serializer], payload: Any
) -> tuple[Any, list[dict[str, str]]]:
    """Validate with DevLake's time rules: zoneless `YYYY-MM-DD HH:MM[:SS]` read as UTC,
    each such reading returned for the inbox."""
    context: dict[str, Any] = {DEVLAKE_TIMES: True}
    serializer = serializer_class(data=payload, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer, context.get(TIME_READINGS, [])


@register
class DevLakeDeploymentsReceiver(DeploymentsReceiver):
    route = "devlake_deployments"

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        if "identifier" in payload:
            return devlake_answer(
                super().handle(connection=connection, payload=payload, inbound=inbound)
            )
        serializer, readings = devlake_validate(self.serializer_class, payload)
        data = serializer.to_data(received_at=timezone.now())
        outcome = deployment_outcome(upsert_deployment(connection=connection, data=data))
        return devlake_answer(outcome, readings=readings)


@register
class DevLakeIssuesReceiver(IssuesReceiver):
    route = "devlake_issues"

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        serializer, readings = devlake_validate(self.serializer_class, payload)
        outcome = issue_outcome(upsert_issue(connection=connection, data=serializer.to_data()))
        return devlake_answer(outcome, readings=readings)


@register
class DevLakeIssueCloseReceiver(IssueCloseReceiver):
    route = "devlake_issue_close"

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        return devlake_answer(
            super().handle(connection=connection, payload=payload, inbound=inbound)
        )


@register
class DevLakePullRequestsReceiver(Receiver):
    """`connections/<id>/pull_requests`: a PR with its stages; a merged one's merge (or
    squash) commit becomes a change that started when the PR's work did."""

    route = "devlake_pull_requests"

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        serializer, readings = devlake_validate(PullRequestSerializer, payload)
        write = record_pull_request(connection=connection, data=serializer.to_data())
        pull_request = write.pull_request
        commit = pull_request.merge_commit
        body = {
            "id": pull_request.pk,
            "external_id": pull_request.external_id,
            "status": "created" if write.created else "updated" if write.changed else "unchanged",
            "pull_request_status": pull_request.status,
            "change": (
                {
                    "sha": commit.sha,
                    "start_at": commit.start_at.isoformat() if commit.start_at else None,
                }
                if commit is not None
                else None
            ),
        }
        outcome = Outcome(status_code=status.HTTP_200_OK, body=body, duplicate=not write.changed)
        return devlake_answer(outcome, readings=readings)


@register
class DevLakeProjectDeploymentsReceiver(DevLakeDeploymentsReceiver):
    """`projects/<name>/deployments` (DevLake main, Dec 2025). DevLake creates a connection
    for the project; in DORA Hub the token names the connection, whose project must be the
    one named."""

    route = "devlake_project_deployments"

    def __init__(self) -> None:
        self._token: ApiToken | None = None

    def resolve_connection(self, inbound: Inbound) -> Connection:
        if inbound.replay:
            return super().resolve_connection(inbound)
        plaintext = extract_token(inbound.headers, inbound.query)
        if plaintext is None:
            raise NotAuthenticated(
                "Authentication required: send 'Authorization: Bearer <token>'.",
                code=Code.NOT_AUTHENTICATED,
            )
        self._token = authenticate_token(plaintext=plaintext)
        connection = self._token.connection
        named = str(inbound.params.get("project_name", ""))
        if named not in (connection.project.slug, connection.project.name):
            raise PermissionDenied(
                f"This token's connection reports to project {connection.project.slug!r}, "
                f"not {named!r}.",
                code=Code.WRONG_PROJECT,
            )
        return connection

    def authenticate(self, inbound: Inbound, connection: Connection) -> ApiToken | None:
        return self._token  # checked while resolving the connection it names


@register
class DevLakeKeylessReceiver(Receiver):
    """DevLake's backend answers `/plugins/webhook/...` without an API key; DORA Hub always
    needs a token, so these paths say how to send one (and the attempt is in the inbox)."""

    route = "devlake_keyless"

    def resolve_connection(self, inbound: Inbound) -> Connection:
        raise NotAuthenticated(
            "DORA Hub needs a token on every webhook: post to /api/rest/plugins/webhook/... "
            "(or /rest/plugins/webhook/...) with 'Authorization: Bearer <token>'.",
            code=Code.NOT_AUTHENTICATED,
        )
