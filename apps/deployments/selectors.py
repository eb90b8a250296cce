from django.db.models import Count, QuerySet

from apps.deployments.models import Deployment


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
