import django_filters
from django.db.models import Q, QuerySet

from apps.deployments.models import Deployment, DeploymentResult, Environment


class DeploymentFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    connection = django_filters.NumberFilter(field_name="connection_id")
    environment = django_filters.ChoiceFilter(choices=Environment.choices)
    result = django_filters.ChoiceFilter(choices=DeploymentResult.choices)
    service = django_filters.CharFilter()
    repository = django_filters.CharFilter(method="filter_repository")
    since = django_filters.IsoDateTimeFilter(field_name="finished_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="finished_at", lookup_expr="lt")

    class Meta:
        model = Deployment
        fields = ["project", "connection", "environment", "result", "service", "repository"]

    def filter_repository(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(repository__url=value) | Q(repository__name=value))
