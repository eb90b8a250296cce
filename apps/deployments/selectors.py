from django.db.models import Count, OuterRef, QuerySet, Subquery

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
    """The deployment's commits, each annotated with the deployment that first shipped it to
    this environment; lead time is counted there only (METRICS.md)."""
    first_success = (
        DeploymentCommit.objects.filter(
            commit_id=OuterRef("commit_id"),
            deployment__project_id=deployment.project_id,
            deployment__environment=deployment.environment,
            deployment__result=DeploymentResult.SUCCESS,
        )
        .order_by("deployment__finished_at", "deployment_id")
        .values("deployment_id")[:1]
    )
    return (
        DeploymentCommit.objects.filter(deployment=deployment)
        .select_related("commit", "repository")
        .annotate(first_deployment_id=Subquery(first_success))
        .order_by("commit__start_at", "id")
    )


def project_services(*, project_id: int) -> list[str]:
    """The service labels used by a project's deployments (for filter menus)."""
    return list(
        Deployment.objects.filter(project_id=project_id)
        .exclude(service="")
        .values_list("service", flat=True)
        .distinct()
        .order_by("service")
    )


def deployment_by_external_id(*, connection_id: int, external_id: str) -> Deployment | None:
    return Deployment.objects.filter(connection_id=connection_id, external_id=external_id).first()
