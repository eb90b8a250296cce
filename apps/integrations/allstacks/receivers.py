"""Allstacks' Custom CD webhook: CI/CD jobs, most of them deployments.

The bearer token names the connection, so an existing job only changes its host and token.
The URL's `company_id` and the body's `service_id` are Allstacks' own ids: both are kept on the
job, and the service id labels the service (through the connection's `allstacks_services`
mapping when it has one), never compared with DORA Hub ids.
"""

from typing import Any

from rest_framework import status

from apps.ci.reports import JobWrite
from apps.ci.services import record_job
from apps.connections.models import Connection
from apps.ingest.authentication import TokenNamesConnection
from apps.ingest.receivers import Inbound, Outcome, SerializerReceiver, register
from apps.integrations.allstacks.serializers import CustomCDJobSerializer


def job_outcome(write: JobWrite) -> Outcome:
    job = write.job
    deployment = write.deployment
    # Only deployments have derive steps; a job alone changes nothing to derive.
    effects: dict[str, list[Any]] = {}
    if deployment is not None and deployment.changed:
        effects["deployments"] = [deployment.deployment.pk]
    state = "created" if write.created else "updated" if write.changed else "unchanged"
    body = {
        "id": job.pk,
        "job_id": job.external_id,
        "status": "stale" if write.stale else state,
        "job_status": job.status,
        "original_status": job.original_status,
        "service": job.service,
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
class CustomCDJobReceiver(SerializerReceiver):
    route = "allstacks_cicd_job"
    # Allstacks' URL carries its own tenant id, never a DORA Hub connection.
    authentication = TokenNamesConnection()
    serializer_class = CustomCDJobSerializer

    def identity(self, serializer: Any, *, inbound: Inbound) -> dict[str, Any]:
        return {"job_id": serializer.validated_data["job_id"]}

    def apply(self, serializer: Any, *, connection: Connection, inbound: Inbound) -> Outcome:
        data = serializer.to_data(
            company_id=str(inbound.params.get("company_id", ""))[:200],
            services=connection.setting("allstacks_services"),
        )
        write = record_job(connection=connection, data=data, received_at=inbound.received_at)
        return job_outcome(write)
