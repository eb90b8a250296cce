"""GitHub webhook payloads: one input serializer per event DORA Hub uses.

Only the fields DORA Hub reads are declared; GitHub's many others are ignored. Field names
are GitHub's, so a 400 names the exact path in the payload GitHub shows in its delivery log.
"""

from typing import Any

from rest_framework import serializers

from apps.core.serializer_fields import AwareDateTimeField, IdentifierField, LenientCharField

MAX_PUSH_COMMITS = 2048  # GitHub's own limit on a push payload's commit list


class RepositorySerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=300)
    html_url = serializers.CharField(max_length=500)


class GitHubEventSerializer(serializers.Serializer):
    repository = RepositorySerializer()

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"body": [f"Expected a JSON object, got {type(data).__name__}."]}
            )
        return super().to_internal_value(data)


class NamedSerializer(serializers.Serializer):
    name = LenientCharField(max_length=300)


class LoginSerializer(serializers.Serializer):
    login = LenientCharField(max_length=200)


class PushCommitSerializer(serializers.Serializer):
    id = IdentifierField()
    timestamp = AwareDateTimeField()
    message = LenientCharField(max_length=10000)


class PushSerializer(GitHubEventSerializer):
    ref = serializers.CharField(max_length=300)
    before = LenientCharField(max_length=128)
    after = LenientCharField(max_length=128)
    deleted = serializers.BooleanField(required=False, default=False)
    # many=True makes a ListSerializer, which takes max_length; the stubs type the child's.
    commits = PushCommitSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_PUSH_COMMITS
    )
    pusher = NamedSerializer(required=False)


class BranchSerializer(serializers.Serializer):
    ref = LenientCharField(max_length=300)


class PullRequestBodySerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1)
    title = LenientCharField(max_length=1000)
    html_url = LenientCharField(max_length=1000)
    created_at = AwareDateTimeField()
    closed_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    merged = serializers.BooleanField(required=False, default=False)
    merged_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    merge_commit_sha = IdentifierField(required=False, allow_null=True, default=None)
    base = BranchSerializer(required=False)
    head = BranchSerializer(required=False)
    user = LoginSerializer(required=False)


class PullRequestSerializer(GitHubEventSerializer):
    action = serializers.CharField(max_length=64)
    pull_request = PullRequestBodySerializer()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        pr = attrs["pull_request"]
        if attrs["action"] == "closed" and pr["merged"]:
            missing = {
                name: ["Required on a merged pull request."]
                for name in ("merged_at", "merge_commit_sha")
                if not pr.get(name)
            }
            if missing:
                raise serializers.ValidationError({"pull_request": missing})
        return attrs


class DeploymentBodySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sha = IdentifierField()
    ref = LenientCharField(max_length=300)
    task = LenientCharField(max_length=200)
    environment = serializers.CharField(max_length=200)
    description = LenientCharField(max_length=1000)
    created_at = AwareDateTimeField()
    production_environment = serializers.BooleanField(required=False, default=False)


class DeploymentStatusBodySerializer(serializers.Serializer):
    state = serializers.CharField(max_length=32)
    environment = LenientCharField(max_length=200)
    created_at = AwareDateTimeField()
    target_url = LenientCharField(max_length=1000)
    log_url = LenientCharField(max_length=1000)


class DeploymentStatusSerializer(GitHubEventSerializer):
    deployment_status = DeploymentStatusBodySerializer()
    deployment = DeploymentBodySerializer()


class HeadCommitSerializer(serializers.Serializer):
    id = IdentifierField()
    message = LenientCharField(max_length=10000)
    timestamp = AwareDateTimeField(required=False, allow_null=True, default=None)


class WorkflowRunBodySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = LenientCharField(max_length=500)
    head_branch = LenientCharField(max_length=300)
    head_sha = IdentifierField()
    run_number = serializers.IntegerField(required=False, allow_null=True, default=None)
    run_attempt = serializers.IntegerField(required=False, min_value=1, default=1)
    event = LenientCharField(max_length=100)
    status = serializers.CharField(max_length=32)
    conclusion = LenientCharField(max_length=32)
    html_url = LenientCharField(max_length=1000)
    created_at = AwareDateTimeField()
    updated_at = AwareDateTimeField()
    run_started_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    head_commit = HeadCommitSerializer(required=False, allow_null=True, default=None)
    triggering_actor = LoginSerializer(required=False, allow_null=True, default=None)


class WorkflowRunSerializer(GitHubEventSerializer):
    action = serializers.CharField(max_length=64)
    workflow_run = WorkflowRunBodySerializer()


class ReleaseBodySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tag_name = serializers.CharField(max_length=300)
    name = LenientCharField(max_length=500)
    target_commitish = LenientCharField(max_length=300)
    html_url = LenientCharField(max_length=1000)
    created_at = AwareDateTimeField()
    published_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    prerelease = serializers.BooleanField(required=False, default=False)


class ReleaseSerializer(GitHubEventSerializer):
    action = serializers.CharField(max_length=64)
    release = ReleaseBodySerializer()


class IssueBodySerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1)
    title = LenientCharField(max_length=1000)
    body = LenientCharField(max_length=100000)
    html_url = LenientCharField(max_length=1000)
    # GitHub's own examples of `pinned` and `unpinned` carry no state (nor labels): those
    # deliveries say nothing about open or closed, so the state is never required.
    state = serializers.ChoiceField(
        choices=["open", "closed"], required=False, allow_null=True, default=None
    )
    created_at = AwareDateTimeField()
    updated_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    closed_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    labels = NamedSerializer(many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        closed = attrs.get("closed_at")
        if closed is not None and closed < attrs["created_at"]:
            raise serializers.ValidationError({"closed_at": ["Must not be before created_at."]})
        return attrs


class IssuesSerializer(GitHubEventSerializer):
    action = serializers.CharField(max_length=64)
    issue = IssueBodySerializer()
    # A field named like DRF's Field.label: the serializer metaclass moves it into
    # `_declared_fields`, which the stubs cannot know.
    label = NamedSerializer(required=False, allow_null=True, default=None)  # type: ignore[assignment]


class CreateSerializer(GitHubEventSerializer):
    ref = serializers.CharField(max_length=300)
    ref_type = serializers.CharField(max_length=32)
    master_branch = LenientCharField(max_length=300)
