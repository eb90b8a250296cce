"""GitLab webhook payloads: one input serializer per hook DORA Hub uses.

GitLab writes times three ways: ISO 8601 (`2013-12-03T17:15:43Z`), `2016-08-12 15:23:28 UTC`
and `2021-04-28 21:50:00 +0200`; all carry their offset and are read as such."""

import re
from datetime import datetime
from typing import Any

from rest_framework import serializers

from apps.core.serializer_fields import AwareDateTimeField, IdentifierField, LenientCharField

_SPACED = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(UTC|[+-]\d{2}:?\d{2})$")
MAX_PUSH_COMMITS = 2048


class GitLabDateTimeField(AwareDateTimeField):
    def to_internal_value(self, data: Any) -> datetime:
        if isinstance(data, str) and (match := _SPACED.match(data.strip())):
            day, time, zone = match.groups()
            zone = "+00:00" if zone == "UTC" else zone
            data = f"{day}T{time}{zone}"
        return super().to_internal_value(data)


class ProjectSerializer(serializers.Serializer):
    path_with_namespace = serializers.CharField(max_length=300)
    web_url = serializers.CharField(max_length=500)


class GitLabEventSerializer(serializers.Serializer):
    project = ProjectSerializer()


class CommitSerializer(serializers.Serializer):
    id = IdentifierField()
    message = LenientCharField(max_length=10000)
    timestamp = GitLabDateTimeField(required=False, allow_null=True, default=None)


class PushSerializer(GitLabEventSerializer):
    ref = serializers.CharField(max_length=300)
    before = LenientCharField(max_length=128)
    after = LenientCharField(max_length=128)
    user_username = LenientCharField(max_length=200)
    # many=True makes a ListSerializer, which takes max_length; the stubs type the child's.
    commits = CommitSerializer(  # type: ignore[call-arg]
        many=True, required=False, default=list, max_length=MAX_PUSH_COMMITS
    )
    total_commits_count = serializers.IntegerField(required=False, default=0)


class MergeRequestAttributesSerializer(serializers.Serializer):
    iid = serializers.IntegerField()
    title = LenientCharField(max_length=1000)
    url = LenientCharField(max_length=1000)
    state = serializers.CharField(max_length=32)
    action = LenientCharField(max_length=32)
    source_branch = LenientCharField(max_length=300)
    target_branch = LenientCharField(max_length=300)
    created_at = GitLabDateTimeField()
    updated_at = GitLabDateTimeField(required=False, allow_null=True, default=None)
    merge_commit_sha = IdentifierField(required=False, allow_null=True, default=None)
    squash_commit_sha = IdentifierField(required=False, allow_null=True, default=None)
    last_commit = CommitSerializer(required=False, allow_null=True, default=None)


class MergeRequestSerializer(GitLabEventSerializer):
    object_attributes = MergeRequestAttributesSerializer()


class DeploymentSerializer(GitLabEventSerializer):
    status = serializers.CharField(max_length=32)
    status_changed_at = GitLabDateTimeField()
    deployment_id = serializers.IntegerField()
    deployable_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    environment = serializers.CharField(max_length=255)
    environment_tier = LenientCharField(max_length=32)
    commit_url = LenientCharField(max_length=1000)
    short_sha = LenientCharField(max_length=64)
    commit_title = LenientCharField(max_length=1000)
    ref = LenientCharField(max_length=300)


class BuildSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = LenientCharField(max_length=200)
    name = LenientCharField(max_length=500)
    status = serializers.CharField(max_length=32)
    created_at = GitLabDateTimeField(required=False, allow_null=True, default=None)
    started_at = GitLabDateTimeField(required=False, allow_null=True, default=None)
    finished_at = GitLabDateTimeField(required=False, allow_null=True, default=None)
    environment = serializers.DictField(required=False, allow_null=True, default=None)


class PipelineAttributesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = LenientCharField(max_length=500, allow_null=True)
    ref = LenientCharField(max_length=300)
    sha = IdentifierField()
    status = serializers.CharField(max_length=32)
    created_at = GitLabDateTimeField(required=False, allow_null=True, default=None)
    finished_at = GitLabDateTimeField(required=False, allow_null=True, default=None)


class UserSerializer(serializers.Serializer):
    username = LenientCharField(max_length=200)


class PipelineSerializer(GitLabEventSerializer):
    object_attributes = PipelineAttributesSerializer()
    builds = BuildSerializer(  # type: ignore[call-arg]  # ListSerializer's max_length
        many=True, required=False, default=list, max_length=1000
    )
    commit = CommitSerializer(required=False, allow_null=True, default=None)
    user = UserSerializer(required=False, allow_null=True, default=None)


class ReleaseCommitSerializer(serializers.Serializer):
    id = IdentifierField()


class ReleaseSerializer(GitLabEventSerializer):
    id = serializers.IntegerField()
    name = LenientCharField(max_length=500, allow_null=True)
    tag = serializers.CharField(max_length=300)
    url = LenientCharField(max_length=1000)
    action = serializers.CharField(max_length=32)
    created_at = GitLabDateTimeField()
    released_at = GitLabDateTimeField(required=False, allow_null=True, default=None)
    commit = ReleaseCommitSerializer(required=False, allow_null=True, default=None)


class LabelSerializer(serializers.Serializer):
    title = LenientCharField(max_length=300)


class IssueAttributesSerializer(serializers.Serializer):
    iid = serializers.IntegerField()
    title = LenientCharField(max_length=1000)
    description = LenientCharField(max_length=100000, allow_null=True)
    url = LenientCharField(max_length=1000)
    state = serializers.CharField(max_length=32)
    action = LenientCharField(max_length=32)
    type = LenientCharField(max_length=64, allow_null=True)
    issue_type = LenientCharField(max_length=64, allow_null=True)
    severity = LenientCharField(max_length=64, allow_null=True)
    created_at = GitLabDateTimeField()
    updated_at = GitLabDateTimeField(required=False, allow_null=True, default=None)
    closed_at = GitLabDateTimeField(required=False, allow_null=True, default=None)
    labels = LabelSerializer(  # type: ignore[call-arg]  # ListSerializer's max_length
        many=True, required=False, default=list, max_length=200
    )


class IssueSerializer(GitLabEventSerializer):
    object_kind = serializers.CharField(max_length=32)
    object_attributes = IssueAttributesSerializer()
