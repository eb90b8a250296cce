from rest_framework import serializers

from apps.connections.models import Project
from apps.deployments.models import Deployment


class DeploymentOutputSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    repository = serializers.CharField(source="repository.url", default=None, read_only=True)
    commit_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Deployment
        fields = [
            "id",
            "external_id",
            "project",
            "connection",
            "name",
            "environment",
            "result",
            "service",
            "repository",
            "ref_name",
            "commit_sha",
            "created_at",
            "started_at",
            "finished_at",
            "is_rollback",
            "is_hotfix",
            "commit_count",
        ]
