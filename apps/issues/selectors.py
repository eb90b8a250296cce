from django.db.models import QuerySet

from apps.issues.models import Issue


def issue_list(*, project_id: int | None = None) -> QuerySet[Issue]:
    queryset = Issue.objects.select_related("project", "connection", "deployment").order_by(
        "-created_at", "-id"
    )
    if project_id is not None:
        queryset = queryset.filter(project_id=project_id)
    return queryset


def issue_by_key(*, connection_id: int, issue_key: str) -> Issue | None:
    return Issue.objects.filter(connection_id=connection_id, issue_key=issue_key).first()
