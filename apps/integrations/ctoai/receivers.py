"""CTO.ai's Events API, `POST /` with `Authorization: Bearer <token>` and `x-ops-mechanism`
(github-action, gitlab-job): the token names a CTO.ai connection. Deployment events become
deployments (started, progressing and blocked are in progress; success and failure finish
it), change events become changes; each is also recorded as the lifecycle event CTO.ai names
(`deployment.success`, `change.merge`...), so ops.yml triggers written for CTO.ai fire."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rest_framework import status

from apps.connections.models import Connection, ConnectionKind
from apps.core.errors import Code, Forbidden
from apps.deployments.changes import CommitRef, record_change
from apps.deployments.models import DeploymentResult
from apps.deployments.selectors import deployment_by_external_id
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.events.services import record_event
from apps.ingest.authentication import Authenticated, TokenNamesConnection
from apps.ingest.receivers import Inbound, Outcome, Receipt, Receiver, register
from apps.integrations.ctoai.serializers import EventSerializer, environment_for

MECHANISM_HEADER = "x-ops-mechanism"
_RESULTS = {"success": DeploymentResult.SUCCESS, "failure": DeploymentResult.FAILURE}


def deployment_identity(*, repo: str, environment: str, commit: str) -> str:
    """CTO.ai sends no deployment id: one deployment is one commit of one repository going to
    one environment, from `started` to `success` or `failure`."""
    key = f"ctoai:{repo}:{environment}:{commit or '-'}"
    if len(key) <= 200:
        return key
    return "ctoai:sha256:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class CtoAiToken(TokenNamesConnection):
    """The bearer token names the connection, which must be a CTO.ai one (`POST /` is CTO.ai's
    Events API); a token in the query is not read."""

    hint: str = "send 'Authorization: Bearer <token>' (the token of a CTO.ai connection)"

    def authenticate(
        self,
        *,
        params: Mapping[str, Any],
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: bytes,
    ) -> Authenticated:
        sender = super().authenticate(params=params, headers=headers, query={}, body=body)
        if sender.connection.kind != ConnectionKind.CTOAI:
            raise Forbidden(
                "POST / is CTO.ai's Events API: use the token of a connection of kind "
                f"'ctoai' (this one is {sender.connection.kind!r}).",
                code=Code.WRONG_CONNECTION,
            )
        return sender


CTOAI_TOKEN = CtoAiToken()


@register
class EventsApiReceiver(Receiver):
    route = "ctoai_events"

    authentication = CTOAI_TOKEN

    def check(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Receipt:
        event = self.validate(EventSerializer, payload)
        # CTO.ai's clients count any 2xx as delivered (`got` throws on others).
        return Receipt(body={"event": f"{event['event_name']}.{event['event_action']}"})

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        event = self.validate(EventSerializer, payload)
        now = inbound.received_at
        mechanism = (inbound.headers.get(MECHANISM_HEADER) or "").strip()[:100]
        name, action = event["event_name"], event["event_action"]
        if name == "deployment":
            outcome = self._deployment(connection=connection, event=event, now=now)
        else:
            outcome = self._change(connection=connection, event=event, now=now)
        recorded = record_event(
            connection=connection,
            repo=event["repo"],
            event=f"{name}.{action}",
            occurred_at=now,
            data={
                "team_id": event["team_id"],
                "environment": event["environment"],
                "image": event["image"],
                "branch": event["branch"],
                "commit": event["commit"],
                "mechanism": mechanism,
                "meta": event["meta"],
            },
        )
        outcome.body = {
            "event": f"{name}.{action}",
            "lifecycle_event": recorded.name,
            **outcome.body,
        }
        return outcome

    @staticmethod
    def _deployment(*, connection: Connection, event: dict[str, Any], now: Any) -> Outcome:
        environment = environment_for(event["environment"])
        identity = deployment_identity(
            repo=event["repo"], environment=environment, commit=event["commit"]
        )
        stored = deployment_by_external_id(connection_id=connection.pk, external_id=identity)
        result = _RESULTS.get(event["event_action"], DeploymentResult.IN_PROGRESS)
        if (
            stored is not None
            and stored.result != DeploymentResult.IN_PROGRESS
            and result in (DeploymentResult.IN_PROGRESS, stored.result)
        ):
            # Never move a finished deployment back, nor finish it twice.
            return Outcome(
                status_code=status.HTTP_200_OK,
                body={"status": "unchanged", "deployment": _summary(stored)},
                duplicate=True,
            )
        started_at = stored.started_at if stored is not None and stored.started_at else now
        written = upsert_deployment(
            connection=connection,
            data=DeploymentData(
                external_id=identity,
                name=f"{event['repo']} {event['commit'][:12]} to {environment.lower()}".strip(),
                environment=environment,
                result=result,
                repo_url=event["repo"],
                ref_name=event["branch"],
                commit_sha=event["commit"],
                started_at=started_at,
                finished_at=None if result == DeploymentResult.IN_PROGRESS else now,
                commits=(
                    [
                        CommitRef(
                            sha=event["commit"], repo_url=event["repo"], ref_name=event["branch"]
                        )
                    ]
                    if event["commit"]
                    else []
                ),
            ),
        )
        deployment = written.deployment
        return Outcome(
            status_code=status.HTTP_200_OK,
            body={
                "status": "created"
                if written.created
                else "updated"
                if written.changed
                else "unchanged",
                "deployment": _summary(deployment),
            },
            duplicate=not written.changed,
            effects={"deployments": [deployment.pk]} if written.changed else {},
        )

    @staticmethod
    def _change(*, connection: Connection, event: dict[str, Any], now: Any) -> Outcome:
        action = event["event_action"]
        if action == "close":
            # Abandoned without merging: nothing to measure, the lifecycle event says it.
            return Outcome(
                status_code=status.HTTP_200_OK, body={"status": "recorded", "change": None}
            )
        commit, changed = record_change(
            project=connection.project,
            sha=event["commit"],
            reported_at=now,
            merged_at=now if action == "merge" else None,
            repo_url=event["repo"],
        )
        return Outcome(
            status_code=status.HTTP_200_OK,
            body={
                "status": "recorded" if changed else "unchanged",
                "change": {
                    "sha": commit.sha,
                    "start_at": commit.start_at.isoformat() if commit.start_at else None,
                    "merged_at": commit.merged_at.isoformat() if commit.merged_at else None,
                },
            },
            duplicate=not changed,
        )


def _summary(deployment: Any) -> dict[str, Any]:
    return {
        "id": deployment.pk,
        "external_id": deployment.external_id,
        "environment": deployment.environment,
        "result": deployment.result,
    }
