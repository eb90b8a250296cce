"""Cirrus CI webhook deliveries: `build` and `task` events.

Cirrus documents `{"action", "old_status", "data": {"repository", "build", "task"}}` but sends
`repository`, `build` and `task` at the top level; both are read. Ids are large JSON numbers,
kept as strings; timestamps are epoch milliseconds.
"""

from datetime import timedelta
from typing import Any

from rest_framework import serializers

from apps.ci.models import FINAL_STATUSES, CIStatus
from apps.ci.reports import JobData, PipelineData, StatusReport
from apps.core.serializer_fields import EpochSecondsField, IdentifierField, LenientCharField

# Status -> (normalised status, position in the lifecycle). Final statuses share the last
# position: nothing but a newer report (or a re-run that names it) moves a build off them.
BUILD_STATUSES: dict[str, tuple[str, int]] = {
    "CREATED": (CIStatus.QUEUED, 0),
    "NEEDS_APPROVAL": (CIStatus.ON_HOLD, 1),
    "TRIGGERED": (CIStatus.QUEUED, 2),
    "EXECUTING": (CIStatus.IN_PROGRESS, 3),
    "FAILED": (CIStatus.FAILURE, 4),
    "COMPLETED": (CIStatus.SUCCESS, 4),
    "ABORTED": (CIStatus.ABORTED, 4),
    "ERRORED": (CIStatus.FAILURE, 4),
}
# PAUSED is a manual task waiting for someone to trigger it.
TASK_STATUSES: dict[str, tuple[str, int]] = {
    "CREATED": (CIStatus.QUEUED, 0),
    "PAUSED": (CIStatus.ON_HOLD, 1),
    "TRIGGERED": (CIStatus.QUEUED, 2),
    "SCHEDULED": (CIStatus.QUEUED, 3),
    "EXECUTING": (CIStatus.IN_PROGRESS, 4),
    "ABORTED": (CIStatus.ABORTED, 5),
    "FAILED": (CIStatus.FAILURE, 5),
    "COMPLETED": (CIStatus.SUCCESS, 5),
    "SKIPPED": (CIStatus.SKIPPED, 5),
}
EVENTS = ("build", "task", "audit_event")
SECTIONS = ("repository", "build", "task")


class CirrusIdField(serializers.Field):
    """An id sent as a (large) JSON number or a string; always stored as a string."""

    default_error_messages = {"invalid": "Expected an id: a whole JSON number or a string."}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        text = str(data).strip()
        if not text or len(text) > 100 or any(c.isspace() for c in text):
            self.fail("invalid")
        return text

    def to_representation(self, value: Any) -> Any:
        return value


class StatusField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


def _millis(**kwargs: Any) -> EpochSecondsField:
    return EpochSecondsField(millis=True, required=False, allow_null=True, default=None, **kwargs)


def _seconds() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True, default=None
    )


class UserSerializer(serializers.Serializer):
    username = LenientCharField(max_length=300)


class RepositorySerializer(serializers.Serializer):
    id = CirrusIdField(required=False, allow_null=True, default="")
    # GitHub's own limits (39 and 100) with room to spare; "owner/name" names the repository.
    owner = LenientCharField(max_length=100)
    name = LenientCharField(max_length=100)


class BuildSerializer(serializers.Serializer):
    id = CirrusIdField()
    status = StatusField(choices=list(BUILD_STATUSES))
    name = LenientCharField(max_length=500)
    branch = LenientCharField(max_length=300)
    changeIdInRepo = IdentifierField(required=False, allow_null=True, default="")
    changeTimestamp = _millis()
    changeMessageTitle = LenientCharField(max_length=1000)
    durationInSeconds = _seconds()
    user = UserSerializer(required=False, allow_null=True, default=None)


class TaskSerializer(serializers.Serializer):
    id = CirrusIdField()
    name = serializers.CharField(max_length=500)
    status = StatusField(choices=list(TASK_STATUSES))
    statusTimestamp = _millis()
    creationTimestamp = _millis()
    finalStatusTimestamp = _millis()
    durationInSeconds = _seconds()
    nameAlias = LenientCharField(max_length=200)
    instanceType = LenientCharField(max_length=200)
    uniqueLabels = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        default=list,
        max_length=100,
    )


class CirrusEventSerializer(serializers.Serializer):
    action = LenientCharField(max_length=32)
    old_status = LenientCharField(max_length=32)
    repository = RepositorySerializer(required=False, allow_null=True, default=None)
    build = BuildSerializer()
    task = TaskSerializer(required=False, allow_null=True, default=None)

    def __init__(self, *args: Any, event: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.event = event
        if event == "task":
            self.fields["task"] = TaskSerializer()

    def to_internal_value(self, data: Any) -> Any:
        # Cirrus sends `"task": {}` with build events (and empty sections elsewhere).
        data = {key: value for key, value in data.items() if value != {}}
        return super().to_internal_value(data)

    def build_data(self) -> PipelineData:
        v = self.validated_data
        build, repository = v["build"], v["repository"] or {}
        status, progress = BUILD_STATUSES[build["status"]]
        owner, name = repository.get("owner", ""), repository.get("name", "")
        return PipelineData(
            external_id=build["id"],
            report=StatusReport(
                status=status,
                original_status=build["status"],
                progress=progress,
                # `old_status` of a task event is the task's, not the build's.
                previous_status=v["old_status"].upper() if self.event == "build" else "",
            ),
            name=build["name"] or build["changeMessageTitle"],
            # Cirrus CI builds GitHub repositories: this is the URL other sources use too.
            repo_url=f"https://github.com/{owner}/{name}" if owner and name else "",
            repository_external_id=repository.get("id") or "",
            branch=build["branch"],
            commit_sha=build["changeIdInRepo"] or "",
            commit_at=build["changeTimestamp"],
            duration_seconds=build["durationInSeconds"],
            triggered_by=(build["user"] or {}).get("username", ""),
        )

    def task_data(self) -> JobData:
        v = self.validated_data
        task = v["task"]
        status, progress = TASK_STATUSES[task["status"]]
        at = task["statusTimestamp"]
        duration = task["durationInSeconds"]
        started_at = finished_at = None
        if status in FINAL_STATUSES:
            finished_at = task["finalStatusTimestamp"] or at
            if finished_at is not None and duration is not None:
                started_at = finished_at - timedelta(seconds=duration)
        elif status == CIStatus.IN_PROGRESS:
            started_at = at
        properties = {
            name: {"type": "string", "value": task[field]}
            for name, field in (
                ("name_alias", "nameAlias"),
                ("instance_type", "instanceType"),
                ("unique_labels", "uniqueLabels"),
            )
            if task[field]
        }
        return JobData(
            external_id=task["id"],
            identity_key=task["id"],
            report=StatusReport(
                status=status,
                original_status=task["status"],
                at=at,
                progress=progress,
                previous_status=v["old_status"].upper(),
            ),
            name=task["name"],
            started_at=started_at,
            finished_at=finished_at,
            duration_seconds=duration,
            properties=properties,
        )


def flatten(payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The delivery in the flat shape, and the prefix under which its sections were sent
    ("data." for the documented shape), so errors name the field as the sender wrote it."""
    data = payload.get("data")
    if data is None:
        return payload, ""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"data": ["Expected a JSON object."]})
    flat = {k: v for k, v in payload.items() if k != "data" and k not in SECTIONS}
    return {**flat, **data}, "data."


def prefixed(detail: Any, prefix: str) -> Any:
    if not prefix or not isinstance(detail, dict):
        return detail
    return {f"{prefix}{key}" if key in SECTIONS else key: value for key, value in detail.items()}
