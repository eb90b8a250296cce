"""DevLake incoming-webhook payloads (the documented snake_case and the current camelCase)."""

import re
from typing import Any

from rest_framework import serializers

from apps.core.serializer_fields import (
    AwareDateTimeField,
    IdentifierField,
    LenientCharField,
    UpperChoiceField,
    readable_url,
    rename_aliases,
)
from apps.deployments.changes import CommitRef
from apps.deployments.models import DeploymentResult, Environment, PullRequestStatus
from apps.deployments.pull_requests import PullRequestData
from apps.deployments.services import DeploymentData
from apps.issues.models import IssueStatus
from apps.issues.services import IssueData

MAX_COMMITS = 1000

COMMIT_ALIASES = {
    "repoUrl": "repo_url",
    "commitSha": "commit_sha",
    "commitMsg": "commit_msg",
    "refName": "ref_name",
}
DEPLOYMENT_ALIASES = {
    **COMMIT_ALIASES,
    "pipelineId": "pipeline_id",
    "repoId": "repo_id",
    "createdDate": "create_time",
    "startedDate": "start_time",
    "finishedDate": "end_time",
    "isRollback": "is_rollback",
    "isHotfix": "is_hotfix",
    "system": "service",
    "deployment_commits": "deploymentCommits",
}
ISSUE_ALIASES = {
    "issueKey": "issue_key",
    "originalStatus": "original_status",
    "storyPoint": "story_point",
    "epicKey": "epic_key",
    "resolutionDate": "resolution_date",
    "createdDate": "created_date",
    "updatedDate": "updated_date",
    "leadTimeMinutes": "lead_time_minutes",
    "parentIssueKey": "parent_issue_key",
    "originalEstimateMinutes": "original_estimate_minutes",
    "timeSpentMinutes": "time_spent_minutes",
    "timeRemainingMinutes": "time_remaining_minutes",
    "creatorId": "creator_id",
    "creatorName": "creator_name",
    "assigneeId": "assignee_id",
    "assigneeName": "assignee_name",
    "repoUrl": "repo_url",
    "deploymentId": "deployment_id",
    "causedBy": "caused_by",
    "system": "service",
}


class AliasedSerializer(serializers.Serializer):
    aliases: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"body": [f"Expected a JSON object, got {type(data).__name__}."]}
            )
        return super().to_internal_value(rename_aliases(data, self.aliases))


class DeploymentCommitSerializer(AliasedSerializer):
    aliases = COMMIT_ALIASES
    repo_url = serializers.CharField(max_length=500, validators=[readable_url])
    commit_sha = IdentifierField()
    commit_msg = LenientCharField(max_length=10000)
    name = LenientCharField(max_length=500)
    ref_name = LenientCharField(max_length=300)


class DeploymentSerializer(AliasedSerializer):
    aliases = DEPLOYMENT_ALIASES
    id = LenientCharField(max_length=200)
    pipeline_id = LenientCharField(max_length=200)
    environment = UpperChoiceField(
        choices=Environment.values, required=False, default=Environment.PRODUCTION
    )
    repo_url = serializers.CharField(
        max_length=500, required=False, allow_blank=False, validators=[readable_url]
    )
    repo_id = LenientCharField(max_length=200)
    name = LenientCharField(max_length=500)
    ref_name = LenientCharField(max_length=300)
    commit_sha = IdentifierField(required=False)
    commit_msg = LenientCharField(max_length=10000)
    create_time = AwareDateTimeField(required=False, allow_null=True, allow_blank=True)
    start_time = AwareDateTimeField()
    end_time = AwareDateTimeField(required=False, allow_null=True, allow_blank=True)
    result = UpperChoiceField(
        choices=[r for r in DeploymentResult.values if r != "IN_PROGRESS"],
        required=False,
        default=DeploymentResult.SUCCESS,
    )
    service = LenientCharField(max_length=200)
    is_rollback = serializers.BooleanField(required=False, default=False)
    is_hotfix = serializers.BooleanField(required=False, default=False)
    resolves = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=100
    )
    # many=True makes a ListSerializer, which takes max_length; the stubs type the child's.
    deploymentCommits = DeploymentCommitSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_COMMITS, allow_empty=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problems: dict[str, list[str]] = {}
        if "deploymentCommits" not in attrs:
            for name in ("repo_url", "commit_sha"):
                if not attrs.get(name):
                    problems[name] = ["This field is required (or send deploymentCommits)."]
        end = attrs.get("end_time")
        if end is not None and end < attrs["start_time"]:
            problems["end_time"] = ["Must not be before start_time."]
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def to_data(self, *, received_at: Any) -> DeploymentData:
        v = self.validated_data
        if "deploymentCommits" in v:
            commits = [
                CommitRef(
                    sha=c["commit_sha"],
                    repo_url=c["repo_url"],
                    ref_name=c["ref_name"],
                    name=c["name"],
                    message=c["commit_msg"],
                )
                for c in v["deploymentCommits"]
            ]
        else:
            commits = [
                CommitRef(
                    sha=v["commit_sha"],
                    repo_url=v["repo_url"],
                    ref_name=v["ref_name"],
                    name=v["name"],
                    message=v["commit_msg"],
                )
            ]
        return DeploymentData(
            external_id=v["id"],
            pipeline_id=v["pipeline_id"],
            environment=v["environment"],
            result=v["result"],
            name=v["name"],
            repo_url=v.get("repo_url", ""),
            ref_name=v["ref_name"],
            commit_sha=v.get("commit_sha", ""),
            service=v["service"],
            created_at=v.get("create_time"),
            started_at=v["start_time"],
            finished_at=v.get("end_time") or received_at,
            finished_at_is_arrival=not v.get("end_time"),
            commits=commits,
            is_rollback=v["is_rollback"],
            is_hotfix=v["is_hotfix"],
            resolves=tuple(v["resolves"]),
        )


class OptionalNumberField(serializers.FloatField):
    """A number that loose clients may send as "" or null."""

    def __init__(self, **kwargs: Any):
        super().__init__(required=False, allow_null=True, default=None, **kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data == "":
            return True, None
        return super().validate_empty_values(data)


class IssueSerializer(AliasedSerializer):
    aliases = ISSUE_ALIASES
    issue_key = serializers.CharField(max_length=200)
    title = serializers.CharField(max_length=1000)
    status = UpperChoiceField(choices=IssueStatus.values)
    # Required by DevLake's table but missing from its own sample: defaults to `status`.
    original_status = LenientCharField(max_length=100)
    created_date = AwareDateTimeField()
    url = LenientCharField(max_length=1000)
    description = LenientCharField(max_length=100000)
    epic_key = LenientCharField(max_length=200)
    type = LenientCharField(max_length=100)
    story_point = OptionalNumberField()
    resolution_date = AwareDateTimeField(
        required=False, allow_null=True, allow_blank=True, default=None
    )
    updated_date = AwareDateTimeField(
        required=False, allow_null=True, allow_blank=True, default=None
    )
    lead_time_minutes = OptionalNumberField()
    parent_issue_key = LenientCharField(max_length=200)
    priority = LenientCharField(max_length=100)
    original_estimate_minutes = OptionalNumberField()
    time_spent_minutes = OptionalNumberField()
    time_remaining_minutes = OptionalNumberField()
    creator_id = LenientCharField(max_length=200)
    creator_name = LenientCharField(max_length=200)
    assignee_id = LenientCharField(max_length=200)
    assignee_name = LenientCharField(max_length=200)
    severity = LenientCharField(max_length=100)
    component = LenientCharField(max_length=200)
    # DORA Hub extensions: where it happened and, when known, what caused it.
    service = LenientCharField(max_length=200)
    repo_url = LenientCharField(max_length=500, validators=[readable_url])
    deployment_id = LenientCharField(max_length=200)
    caused_by = LenientCharField(max_length=200)

    EXTRA_FIELDS = (
        "epic_key",
        "story_point",
        "lead_time_minutes",
        "parent_issue_key",
        "original_estimate_minutes",
        "time_spent_minutes",
        "time_remaining_minutes",
        "creator_id",
        "creator_name",
        "assignee_id",
        "assignee_name",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        resolved = attrs.get("resolution_date")
        if resolved is not None and resolved < attrs["created_date"]:
            raise serializers.ValidationError(
                {"resolution_date": ["Must not be before created_date."]}
            )
        return attrs

    def to_data(self) -> IssueData:
        v = self.validated_data
        return IssueData(
            issue_key=v["issue_key"],
            title=v["title"],
            status=v["status"],
            original_status=v["original_status"] or v["status"],
            created_at=v["created_date"],
            description=v["description"],
            url=v["url"],
            type=v["type"],
            priority=v["priority"],
            severity=v["severity"],
            component=v["component"],
            service=v["service"],
            repo_url=v["repo_url"],
            updated_at=v["updated_date"],
            resolved_at=v["resolution_date"],
            caused_by_ref=v["deployment_id"] or v["caused_by"],
            extra={k: v[k] for k in self.EXTRA_FIELDS if v.get(k) not in (None, "")},
        )


PULL_REQUEST_ALIASES = {
    "displayTitle": "title",
    "originalStatus": "original_status",
    "pullRequestKey": "pull_request_key",
    "createdDate": "created_date",
    "mergedDate": "merged_date",
    "closedDate": "closed_date",
    "mergeCommitSha": "merge_commit_sha",
    "headRef": "head_ref",
    "baseRef": "base_ref",
    "baseRepoId": "base_repo_id",
    "headRepoId": "head_repo_id",
    "authorName": "author_name",
    "repoUrl": "repo_url",
    "firstCommitDate": "first_commit_date",
    "firstReviewDate": "first_review_date",
}
# `https://github.com/org/repo/pull/1`, `https://gitlab.com/g/p/-/merge_requests/1`
_PR_URL = re.compile(r"^(?P<repo>https?://.+?)(?:/-)?/(?:pull|pulls|merge_requests)/\d+/?$")


class PullRequestSerializer(AliasedSerializer):
    """DevLake's `pull_requests` body (api/pull_requests.go, camelCase), plus DORA Hub's
    optional `repoUrl`, `firstCommitDate` and `firstReviewDate` (the PR's stages)."""

    aliases = PULL_REQUEST_ALIASES
    id = serializers.CharField(max_length=200)
    title = LenientCharField(max_length=1000)
    pull_request_key = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    status = UpperChoiceField(choices=PullRequestStatus.values, required=False, allow_null=True)
    original_status = LenientCharField(max_length=64)
    url = LenientCharField(max_length=1000)
    repo_url = LenientCharField(max_length=500)
    base_repo_id = LenientCharField(max_length=200)
    head_repo_id = LenientCharField(max_length=200)
    author_name = LenientCharField(max_length=200)
    base_ref = LenientCharField(max_length=300)
    head_ref = LenientCharField(max_length=300)
    merge_commit_sha = IdentifierField(required=False, allow_null=True, allow_blank=True)
    created_date = AwareDateTimeField()
    merged_date = AwareDateTimeField(required=False, allow_null=True, allow_blank=True)
    closed_date = AwareDateTimeField(required=False, allow_null=True, allow_blank=True)
    first_commit_date = AwareDateTimeField(required=False, allow_null=True, allow_blank=True)
    first_review_date = AwareDateTimeField(required=False, allow_null=True, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problems: dict[str, list[str]] = {}
        opened = attrs["created_date"]
        for name in ("merged_date", "closed_date", "first_review_date"):
            if attrs.get(name) is not None and attrs[name] < opened:
                problems[name] = ["Must not be before createdDate."]
        status = attrs.get("status") or (
            PullRequestStatus.MERGED
            if attrs.get("merged_date")
            else PullRequestStatus.CLOSED
            if attrs.get("closed_date")
            else PullRequestStatus.OPEN
        )
        if status == PullRequestStatus.MERGED and not attrs.get("merged_date"):
            problems["mergedDate"] = ["Required when status is MERGED."]
        if problems:
            raise serializers.ValidationError(problems)
        attrs["status"] = status
        return attrs

    def to_data(self) -> PullRequestData:
        v = self.validated_data
        repo_url = v["repo_url"]
        if not repo_url and (match := _PR_URL.match(v["url"])):
            repo_url = match["repo"]
        return PullRequestData(
            external_id=v["id"],
            number=v.get("pull_request_key"),
            title=v["title"],
            url=v["url"],
            status=v["status"],
            original_status=v["original_status"] or v["status"],
            repo_url=repo_url,
            base_ref=v["base_ref"],
            head_ref=v["head_ref"],
            author=v["author_name"],
            merge_commit_sha=v.get("merge_commit_sha") or "",
            opened_at=v["created_date"],
            first_commit_at=v.get("first_commit_date"),
            first_review_at=v.get("first_review_date"),
            merged_at=v.get("merged_date"),
            closed_at=v.get("closed_date"),
        )
