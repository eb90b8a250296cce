from django.db.models import Q, QuerySet

from apps.deployments.models import Deployment
from apps.issues.models import AttributionDecision, Issue


def issue_list(*, project_id: int | None = None) -> QuerySet[Issue]:
    queryset = Issue.objects.select_related("project", "connection", "deployment").order_by(
        "-created_at", "-id"
    )
    if project_id is not None:
        queryset = queryset.filter(project_id=project_id)
    return queryset


def issue_by_key(*, connection_id: int, issue_key: str) -> Issue | None:
    return Issue.objects.filter(connection_id=connection_id, issue_key=issue_key).first()


def deployment_decisions(*, deployment: Deployment) -> QuerySet[AttributionDecision]:
    """People's decisions about a deployment: its marks, and incidents linked to it by hand."""
    return (
        AttributionDecision.objects.filter(
            Q(deployment=deployment) | Q(issue__deployment=deployment)
        )
        .select_related("issue", "decided_by", "withdrawn_by")
        .order_by("-decided_at", "-id")
    )
