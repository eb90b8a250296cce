import django_filters

from apps.issues.models import Issue, IssueStatus


class IssueFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    connection = django_filters.NumberFilter(field_name="connection_id")
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices)
    type = django_filters.CharFilter(field_name="type", lookup_expr="iexact")
    incident = django_filters.BooleanFilter(field_name="is_incident")
    service = django_filters.CharFilter()
    environment = django_filters.CharFilter(field_name="deployment__environment")
    repository = django_filters.CharFilter(field_name="repository__url")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Issue
        fields = ["project", "connection", "status", "type", "incident", "service"]
