"""Reads of repositories, changes and deployments.

A change's first deployment to an environment (METRICS.md, lead time) is defined here once:
a *shipment* is a change in a successful deployment to an environment that has finished; a
change's **first deployment** to an environment is its shipment there with the earliest
finish, and of two finishing at the same instant the one with the lower deployment id. With a
service scope only that service's deployments count. The live lead times of the metrics
(apps.metrics.selectors.lead_times), the lead-time rows rebuilt with the snapshots
(apps.metrics.services.rebuild_lead_times) and the deployment page all use `first_shipments`.
"""

from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from apps.deployments.models import Deployment, DeploymentCommit, DeploymentResult


def deployment_list(*, project_id: int | None = None) -> QuerySet[Deployment]:
    """Deployments with what list pages show, in one query; limited to a project if given."""
    queryset = (
        Deployment.objects.select_related("project", "connection", "repository")
        .annotate(commit_count=Count("deployment_commits", distinct=True))
        .order_by("-finished_at", "-id")
    )
    if project_id is not None:
        queryset = queryset.filter(project_id=project_id)
    return queryset


def deployment_commits_with_lead_time(*, deployment: Deployment) -> QuerySet[DeploymentCommit]:
    """The deployment's commits, each annotated with its change's first deployment to this
    environment (`first_deployment_id`, None when it has none); lead time is counted there
    only (METRICS.md)."""
    first = first_shipments(environment=deployment.environment).filter(
        commit_id=OuterRef("commit_id")
    )
    return (
        DeploymentCommit.objects.filter(deployment=deployment)
        .select_related("commit", "repository")
        .annotate(first_deployment_id=Subquery(first.values("deployment_id")[:1]))
        .order_by("commit__start_at", "id")
    )


def project_services(
    *, project_id: int | None = None, project_ids: list[int] | None = None
) -> list[str]:
    """The service labels used by a project's (or some projects', or all) deployments, for
    filter menus."""
    queryset = Deployment.objects.all()
    if project_id is not None:
        queryset = queryset.filter(project_id=project_id)
    elif project_ids is not None:
        queryset = queryset.filter(project_id__in=project_ids)
    return list(
        queryset.exclude(service="")
        .values_list("service", flat=True)
        .distinct()
        .order_by("service")
    )


def deployment_by_external_id(*, connection_id: int, external_id: str) -> Deployment | None:
    return Deployment.objects.filter(connection_id=connection_id, external_id=external_id).first()


# --- a change's first deployment ------------------------------------------------------------


def shipments(*, environment: str, service: str = "") -> QuerySet[DeploymentCommit]:
    """Every shipment of a change to `environment` (of `service`'s deployments, if given)."""
    queryset = DeploymentCommit.objects.filter(
        deployment__result=DeploymentResult.SUCCESS,
        deployment__environment=environment,
        deployment__finished_at__isnull=False,
    )
    if service:
        queryset = queryset.filter(deployment__service=service)
    return queryset


def earlier_shipments(*, environment: str, service: str = "") -> QuerySet[DeploymentCommit]:
    """The shipments of the outer query's change that come before the outer shipment; for
    `Exists` inside a query over DeploymentCommit rows."""
    return shipments(environment=environment, service=service).filter(
        Q(deployment__finished_at__lt=OuterRef("deployment__finished_at"))
        | Q(
            deployment__finished_at=OuterRef("deployment__finished_at"),
            deployment_id__lt=OuterRef("deployment_id"),
        ),
        commit_id=OuterRef("commit_id"),
    )


def first_shipments(*, environment: str, service: str = "") -> QuerySet[DeploymentCommit]:
    """The shipments that are their change's first deployment to `environment`: one row per
    change ever shipped there."""
    return shipments(environment=environment, service=service).filter(
        ~Exists(earlier_shipments(environment=environment, service=service))
    )


def link_candidates(*, project_id: int, around: datetime, limit: int = 50) -> QuerySet[Deployment]:
    """Deployments a person may pick as an incident's cause: the project's successful ones that
    finished up to 30 days before `around` (and a day after, for clock skew), newest first."""
    nearest = Deployment.objects.filter(
        project_id=project_id,
        result=DeploymentResult.SUCCESS,
        finished_at__gte=around - timedelta(days=30),
        finished_at__lte=around + timedelta(days=1),
    ).order_by("-finished_at", "-id")
    # Unsliced, so a form can validate a choice against it.
    ids = list(nearest.values_list("pk", flat=True)[:limit])
    return Deployment.objects.filter(pk__in=ids).order_by("-finished_at", "-id")
