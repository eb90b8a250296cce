from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import django_filters
from django.db.models import Q, QuerySet

from apps.deployments.models import Deployment, DeploymentResult, Environment
from apps.issues.models import Issue, IssueStatus


class ProjectTimeFilterSet(django_filters.FilterSet):
    """Date filters read as calendar days in the project's time zone (METRICS.md)."""

    time_field = "created_at"

    def __init__(self, *args: Any, tz: ZoneInfo, **kwargs: Any):
        self.tz = tz
        super().__init__(*args, **kwargs)

    def _instant(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=self.tz)

    def filter_since(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(**{f"{self.time_field}__gte": self._instant(value)})

    def filter_until(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(**{f"{self.time_field}__lt": self._instant(value)})


class DeploymentPageFilter(ProjectTimeFilterSet):
    time_field = "finished_at"
    result = django_filters.ChoiceFilter(choices=DeploymentResult.choices)
    environment = django_filters.ChoiceFilter(choices=Environment.choices)
    service = django_filters.CharFilter()
    repository = django_filters.CharFilter(method="filter_repository", label="Repository")
    since = django_filters.DateFilter(method="filter_since", label="Since")
    until = django_filters.DateFilter(method="filter_until", label="Until (exclusive)")

    class Meta:
        model = Deployment
        fields = ["result", "environment", "service", "repository", "since", "until"]

    def filter_repository(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(repository__name__icontains=value) | Q(repository__url=value))


class IncidentPageFilter(ProjectTimeFilterSet):
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices)
    service = django_filters.CharFilter()
    linked = django_filters.BooleanFilter(
        field_name="deployment", lookup_expr="isnull", exclude=True
    )
    since = django_filters.DateFilter(method="filter_since", label="Since")
    until = django_filters.DateFilter(method="filter_until", label="Until (exclusive)")

    class Meta:
        model = Issue
        fields = ["status", "service", "linked", "since", "until"]
