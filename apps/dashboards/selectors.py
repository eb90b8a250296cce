"""Reads for the dashboards that span several apps.

Data coverage: how much of a scope the data covers. Per source the last delivery and its
counts, the share of deployments with known changes and of incidents with a link, and what
lies outside the scope (other environments, deliveries older than the period); the pages turn
it into "why is this empty?" guidance."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, Max, OuterRef, Q

from apps.connections.models import Connection
from apps.deployments.models import Deployment, DeploymentCommit
from apps.ingest.models import Delivery
from apps.issues.models import Issue
from apps.metrics.selectors import SUCCESS, Scope
from apps.metrics.selectors.figure_rows import incidents_created, successful_deployments
from apps.metrics.selectors.query import scope_slice


@dataclass(frozen=True)
class SourceCoverage:
    connection: Connection
    last_delivery_at: datetime | None
    deliveries: dict[str, int]  # per status, in the period
    deployments: int  # successful, in the scope
    incidents: int  # created in the period


@dataclass(frozen=True)
class Coverage:
    sources: list[SourceCoverage]
    deployments: int
    deployments_with_changes: int
    deployments_with_started_changes: int
    incidents: int
    linked_incidents: int
    other_environments: dict[str, int] = field(default_factory=dict)
    newest_deployment_at: datetime | None = None
    has_incident_rows: bool = False  # any incident ever, any environment

    @property
    def change_share(self) -> float | None:
        return (
            self.deployments_with_started_changes / self.deployments if self.deployments else None
        )

    @property
    def link_share(self) -> float | None:
        return self.linked_incidents / self.incidents if self.incidents else None


def data_coverage(*, scope: Scope) -> Coverage:
    """About ten queries whatever the number of rows."""
    piece = scope_slice(scope)
    ids = piece.project_ids
    connections = Connection.objects.select_related("project").order_by("project__name", "name")
    everything = Deployment.objects.all()
    incidents_ever = Issue.objects.filter(is_incident=True)
    if ids is not None:
        connections = connections.filter(project_id__in=ids)
        everything = everything.filter(project_id__in=ids)
        incidents_ever = incidents_ever.filter(project_id__in=ids)
    connection_list = list(connections)
    connection_ids = [c.pk for c in connection_list]
    last = dict(
        Delivery.objects.filter(connection_id__in=connection_ids)
        .order_by()
        .values("connection_id")
        .annotate(last=Max("received_at"))
        .values_list("connection_id", "last")
    )
    per_status: dict[int, dict[str, int]] = {}
    for row in (
        Delivery.objects.filter(
            connection_id__in=connection_ids,
            received_at__gte=piece.start,
            received_at__lt=piece.end,
        )
        .order_by()
        .values("connection_id", "status")
        .annotate(n=Count("pk"))
    ):
        per_status.setdefault(row["connection_id"], {})[row["status"]] = row["n"]
    deployments = successful_deployments(scope=scope)
    by_connection = dict(
        deployments.order_by()
        .values("connection_id")
        .annotate(n=Count("pk"))
        .values_list("connection_id", "n")
    )
    incidents = incidents_created(scope=scope)
    incidents_by_connection = dict(
        incidents.order_by()
        .values("connection_id")
        .annotate(n=Count("pk"))
        .values_list("connection_id", "n")
    )
    with_changes = DeploymentCommit.objects.filter(deployment=OuterRef("pk"))
    started = with_changes.filter(commit__start_at__isnull=False)
    shares = deployments.order_by().aggregate(
        n=Count("pk"),
        changes=Count("pk", filter=Q(Exists(with_changes))),
        started=Count("pk", filter=Q(Exists(started))),
    )
    incident_counts = incidents.order_by().aggregate(
        n=Count("pk"), linked=Count("pk", filter=Q(deployment__isnull=False))
    )
    in_period = everything.filter(
        SUCCESS, finished_at__gte=piece.start, finished_at__lt=piece.end
    ).exclude(environment=piece.environment)
    if piece.service:
        in_period = in_period.filter(service=piece.service)
    others = dict(
        in_period.order_by()
        .values("environment")
        .annotate(n=Count("pk"))
        .values_list("environment", "n")
    )
    newest = everything.filter(environment=piece.environment).aggregate(m=Max("finished_at"))
    return Coverage(
        sources=[
            SourceCoverage(
                connection=c,
                last_delivery_at=last.get(c.pk),
                deliveries=per_status.get(c.pk, {}),
                deployments=by_connection.get(c.pk, 0),
                incidents=incidents_by_connection.get(c.pk, 0),
            )
            for c in connection_list
        ],
        deployments=shares["n"],
        deployments_with_changes=shares["changes"],
        deployments_with_started_changes=shares["started"],
        incidents=incident_counts["n"],
        linked_incidents=incident_counts["linked"],
        other_environments=others,
        newest_deployment_at=newest["m"],
        has_incident_rows=incidents_ever.exists(),
    )
