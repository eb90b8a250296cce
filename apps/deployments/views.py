from django.db.models import QuerySet
from rest_framework.generics import ListAPIView

from apps.connections.authentication import token_project_id
from apps.deployments.filters import DeploymentFilter
from apps.deployments.models import Deployment
from apps.deployments.selectors import deployment_list
from apps.deployments.serializers import DeploymentOutputSerializer


class DeploymentListView(ListAPIView):
    """Deployments, newest first; an API token sees only its own project's."""

    serializer_class = DeploymentOutputSerializer
    filterset_class = DeploymentFilter

    def get_queryset(self) -> QuerySet[Deployment]:
        return deployment_list(project_id=token_project_id(self.request))
