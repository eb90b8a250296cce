"""Filters a list page adds within its scope (period, environment and service come from
`apps.dashboards.subjects.PageScope`, the same for every page)."""

import django_filters
from django.db.models import Q, QuerySet

from apps.deployments.models import Deployment, DeploymentResult
from apps.issues.models import Issue, IssueStatus


class DeploymentPageFilter(django_filters.FilterSet):
    result = django_filters.ChoiceFilter(choices=DeploymentResult.choices)
    repository = django_filters.CharFilter(method="filter_repository", label="Repository")

    class Meta:
        model = Deployment
        fields = ["result", "repository"]

    def filter_repository(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(repository__name__icontains=value) | Q(repository__url=value))


class IncidentPageFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices)
    linked = django_filters.BooleanFilter(
        field_name="deployment", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Issue
        fields = ["status", "linked"]
