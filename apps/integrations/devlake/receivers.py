"""DevLake's incoming webhooks, at DevLake's URLs: the native receivers' bodies (DORA Hub's native
deployment and issue format is DevLake's), answered as DevLake answers, with DevLake's time forms
and its pull requests."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from rest_framework import serializers, status

from apps.connections.models import Connection
from apps.core.errors import Code, Forbidden, Unauthenticated
from apps.core.serializer_fields import DEVLAKE_TIMES, TIME_READINGS
from apps.deployments.pull_requests import record_pull_request
from apps.deployments.services import upsert_deployment
from apps.ingest.authentication import (
    Authenticated,
    Authentication,
    Security,
    TokenNamesConnection,
)
from apps.ingest.receivers import Inbound, Outcome, Planned, Receipt, Receiver, register
from apps.integrations.devlake.serializers import PullRequestSerializer
from apps.integrations.native.receivers import (
    DeploymentsReceiver,
    IssueCloseReceiver,
    IssuesReceiver,
)
from apps.integrations.outcomes import deployment_outcome, deployment_outcomes, issue_outcome
from apps.issues.services import upsert_issue


@dataclass(frozen=True)
class TokenForNamedProject(TokenNamesConnection):
    """The token names the connection, whose project must be the one the URL names."""

    def authenticate(
        self,
        *,
        params: Mapping[str, Any],
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
    ) -> Authenticated:
        sender = super().authenticate(params=params, headers=headers, query=query, body=body)
        project = sender.connection.project
        named = str(params.get("project_name", ""))
        if named not in (project.slug, project.name):
            raise Forbidden(
                f"This token's connection reports to project {project.slug!r}, not {named!r}.",
                code=Code.WRONG_PROJECT,
            )
        return sender


@dataclass(frozen=True)
class Keyless(Authentication):
    """DevLake's backend answers `/plugins/webhook/...` without an API key; DORA Hub always
    needs a token, so these paths say how to send one (and the attempt is in the inbox)."""

    def authenticate(
        self,
        *,
        params: Mapping[str, Any],
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
    ) -> Authenticated:
        raise Unauthenticated(
            "DORA Hub needs a token on every webhook: post to /api/rest/plugins/webhook/... "
            "(or /rest/plugins/webhook/...) with 'Authorization: Bearer <token>'.",
            code=Code.NOT_AUTHENTICATED,
        )

    def security(self) -> Security:
        return []


TOKEN_FOR_NAMED_PROJECT = TokenForNamedProject()
KEYLESS = Keyless()


# --- DevLake's own routes: its answers, its time forms, pull requests --------------------


# What DevLake's client reads as delivered (server/api/shared/api_output.go).
DEVLAKE_SUCCESS = {"code": 0, "success": True, "message": "success"}


def devlake_answer(outcome: Outcome, *, readings: list[dict[str, str]] | None = None) -> Outcome:
    """DevLake answers 200 with `success` (server/api/shared/api_output.go); DORA Hub's own
    fields stay beside it, so `status` still says created, updated or unchanged."""
    outcome.status_code = status.HTTP_200_OK
    outcome.body = {**DEVLAKE_SUCCESS, **outcome.body}
    outcome.readings = list(readings or [])
    return outcome


def devlake_receipt(receipt: Receipt, *, readings: list[dict[str, str]] | None = None) -> Receipt:
    """DevLake's client counts 200 with `success` as delivered, whether or not it is applied yet."""
    receipt.status_code = status.HTTP_200_OK
    receipt.body = {**DEVLAKE_SUCCESS, **receipt.body}
    receipt.readings = list(readings or receipt.readings)
    return receipt


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

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt:
        if "identifier" in payload:
            return devlake_receipt(
                super().check(connection=connection, payload=payload, inbound=inbound)
            )
        serializer, readings = devlake_validate(self.serializer_class, payload)
        return devlake_receipt(
            self.receipt(self.data(serializer, inbound=inbound)), readings=readings
        )

    def plan_stored(self, *, validated: dict[str, Any], readings: list[dict[str, str]]) -> Planned:
        planned = super().plan_stored(validated=validated, readings=readings)
        return replace(planned, answer=partial(devlake_answer, readings=readings))

    def plan(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Planned:
        if "identifier" in payload:
            planned = super().plan(connection=connection, payload=payload, inbound=inbound)
            return replace(planned, answer=devlake_answer)
        serializer, readings = devlake_validate(self.serializer_class, payload)
        return Planned(
            writer=deployment_outcomes,
            data=self.data(serializer, inbound=inbound),
            answer=partial(devlake_answer, readings=readings),
        )

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        if "identifier" in payload:
            return devlake_answer(
                super().handle(connection=connection, payload=payload, inbound=inbound)
            )
        serializer, readings = devlake_validate(self.serializer_class, payload)
        data = serializer.to_data(received_at=inbound.received_at)
        outcome = deployment_outcome(upsert_deployment(connection=connection, data=data))
        return devlake_answer(outcome, readings=readings)


@register
class DevLakeIssuesReceiver(IssuesReceiver):
    route = "devlake_issues"

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt:
        serializer, readings = devlake_validate(self.serializer_class, payload)
        return devlake_receipt(
            Receipt(body=self.identity(serializer, inbound=inbound)), readings=readings
        )

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

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt:
        serializer, readings = devlake_validate(PullRequestSerializer, payload)
        external_id = serializer.to_data().external_id
        return devlake_receipt(Receipt(body={"external_id": external_id}), readings=readings)

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
    authentication = TOKEN_FOR_NAMED_PROJECT


@register
class DevLakeKeylessReceiver(Receiver):
    """DevLake's backend answers `/plugins/webhook/...` without an API key; DORA Hub always
    needs a token, so these paths say how to send one (and the attempt is in the inbox)."""

    route = "devlake_keyless"
    authentication = KEYLESS
