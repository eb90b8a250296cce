"""Allstacks' Custom CD webhook: CI/CD jobs, most of them deployments.

The connection is not in the URL but in the body (`service_id`), so it is resolved from the
parsed payload; the bearer token must belong to that connection. The URL's company id is
Allstacks' tenant and means nothing here.
"""

from typing import Any

from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied

from apps.ci.services import JobWrite, record_job
from apps.connections.authentication import extract_token
from apps.connections.models import ApiToken, Connection
from apps.connections.services import authenticate_token
from apps.ingest.receivers import Inbound, Outcome, Receiver, register
from apps.integrations.allstacks.serializers import CustomCDJobSerializer, ServiceIdSerializer


def job_outcome(write: JobWrite) -> Outcome:
    job = write.job
    deployment = write.deployment
    effects: dict[str, list[Any]] = {}
    if write.changed:
        effects["jobs"] = [job.pk]
    if deployment is not None and deployment.changed:
        effects["deployments"] = [deployment.deployment.pk]
    state = "created" if write.created else "updated" if write.changed else "unchanged"
    body = {
        "id": job.pk,
        "job_id": job.external_id,
        "status": "stale" if write.stale else state,
        "job_status": job.status,
        "original_status": job.original_status,
        "deployment": (
            {
                "id": deployment.deployment.pk,
                "external_id": deployment.deployment.external_id,
                "environment": deployment.deployment.environment,
                "result": deployment.deployment.result,
            }
            if deployment is not None
            else None
        ),
    }
    return Outcome(
        status_code=status.HTTP_201_CREATED if write.created else status.HTTP_200_OK,
        body=body,
        duplicate=not write.changed and not write.stale,
        effects=effects,
    )


@register
class CustomCDJobReceiver(Receiver):
    route = "allstacks_cicd_job"
    serializer_class = CustomCDJobSerializer

    def __init__(self) -> None:
        self._token: ApiToken | None = None
        self._payload: Any = None

    def resolve_connection(self, inbound: Inbound) -> Connection:
        # The token is checked before the body is read, so an unauthenticated caller learns
        # nothing about the body or which connections exist.
        if not inbound.replay:
            plaintext = extract_token(inbound.headers, inbound.query)
            if plaintext is None:
                raise NotAuthenticated(
                    "Authentication required: send 'Authorization: Bearer <token>'.",
                    code="not_authenticated",
                )
            self._token = authenticate_token(plaintext=plaintext)
        service_id = self.validate(ServiceIdSerializer, self.parse(inbound))["service_id"]
        connection = Connection.objects.select_related("project").filter(pk=service_id).first()
        if connection is None:
            raise NotFound(f"No connection with id {service_id} (service_id).")
        return connection

    def authenticate(self, inbound: Inbound, connection: Connection) -> None:
        if self._token is None or self._token.connection_id != connection.pk:
            raise PermissionDenied(
                "This token belongs to another connection than service_id.",
                code="wrong_connection",
            )

    def parse(self, inbound: Inbound) -> Any:
        if self._payload is None:
            self._payload = super().parse(inbound)
        return self._payload

    def handle(self, *, connection: Connection, payload: Any, inbound: Inbound) -> Outcome:
        serializer = self.serializer_class(data=payload)
        serializer.is_valid(raise_exception=True)
        write = record_job(
            connection=connection, data=serializer.to_data(), received_at=timezone.now()
        )
        return job_outcome(write)
