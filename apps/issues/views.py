from django.db.models import QuerySet
from rest_framework.generics import ListAPIView

from apps.connections.authentication import token_project_id
from apps.issues.filters import IssueFilter
from apps.issues.models import Issue
from apps.issues.selectors import issue_list
from apps.issues.serializers import IssueOutputSerializer


class IssueListView(ListAPIView):
    """Issues and incidents, newest first; an API token sees only its own project's."""

    serializer_class = IssueOutputSerializer
    filterset_class = IssueFilter

    def get_queryset(self) -> QuerySet[Issue]:
        return issue_list(project_id=token_project_id(self.request))
