from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from apps.events.models import LifecycleEvent, Trigger
from apps.events.patterns import segment_regex


def triggers_in_scope(*, project_id: int, connection_id: int | None) -> list[Trigger]:
    """Active triggers whose scope holds a project's or a connection's events, or that are
    installation-wide. Triggers are few and admin-managed, so callers match their patterns
    in Python rather than in SQL (`patterns.matches_any`)."""
    in_scope = Q(all_projects=True) | Q(project_id=project_id)
    if connection_id is not None:
        in_scope |= Q(connections=connection_id)
    return list(Trigger.objects.filter(in_scope, is_active=True).distinct().order_by("pk"))


@dataclass(frozen=True)
class ActivityFilter:
    project_id: int | None = None
    origin: str = ""
    repo: str = ""  # exact, or with * and ? wildcards
    event: str = ""  # exact, or with * and ? wildcards (`deployment.*`)
    insight_only: bool = False
    since: datetime | None = None
    until: datetime | None = None


def activity(*, filters: ActivityFilter) -> QuerySet[LifecycleEvent]:
    """Lifecycle events, newest first, with what the activity page shows, in one query."""
    queryset = (
        LifecycleEvent.objects.select_related("project")
        .annotate(delivery_count=Count("trigger_deliveries"))
        .order_by("-occurred_at", "-id")
    )
    if filters.project_id is not None:
        queryset = queryset.filter(project_id=filters.project_id)
    if filters.origin:
        queryset = queryset.filter(origin=filters.origin)
    for field, value in (("repo", filters.repo), ("event", filters.event)):
        if not value:
            continue
        if "*" in value or "?" in value:
            queryset = queryset.filter(**{f"{field}__iregex": segment_regex(value)})
        else:
            queryset = queryset.filter(**{f"{field}__iexact": value})
    if filters.insight_only:
        queryset = queryset.filter(is_insight=True)
    if filters.since is not None:
        queryset = queryset.filter(occurred_at__gte=filters.since)
    if filters.until is not None:
        queryset = queryset.filter(occurred_at__lt=filters.until)
    return queryset
