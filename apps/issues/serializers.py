from rest_framework import serializers

from apps.connections.models import Project
from apps.issues.models import Issue


class IssueOutputSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField[Project] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    external_id = serializers.CharField(source="issue_key", read_only=True)

    class Meta:
        model = Issue
        fields = [
            "id",
            "external_id",
            "project",
            "connection",
            "title",
            "type",
            "is_incident",
            "status",
            "original_status",
            "service",
            "created_at",
            "resolved_at",
            "deployment",
            "link_method",
        ]
