"""Allstacks' Custom CD job payload (`POST /webhook/company/<company_id>/cicd_job`)."""

import re
from datetime import timedelta
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.ci.models import CIStatus
from apps.ci.reports import JobData, StatusReport
from apps.core import time
from apps.core.serializer_fields import EpochSecondsField, LenientCharField, readable_url

MAX_OPTIONAL_FIELDS = 20
MAX_OPTIONAL_VALUES = 20
DEFAULT_TRIGGERED_BY = "Custom CD Agent"
DEFAULT_JOB_TYPE = "CUSTOM_CD_JOB"

# Allstacks' three statuses, matched ignoring case, spaces and underscores ("On Hold",
# "ON_HOLD"); the lifecycle position orders a job reported on hold and then finished.
STATUSES: dict[str, tuple[str, int]] = {
    "SUCCEEDED": (CIStatus.SUCCESS, 2),
    "FAILED": (CIStatus.FAILURE, 2),
    "ONHOLD": (CIStatus.ON_HOLD, 1),
}
OPTIONAL_TYPES = ("string", "integer", "float", "duration", "timestamp")


@extend_schema_field(
    {"type": "string", "description": "Succeeded, Failed or On Hold (case and spaces ignored)."}
)
class AllstacksStatusField(serializers.Field):
    default_error_messages = {
        "invalid": "{value!r} is not a job status; use 'Succeeded', 'Failed' or 'On Hold'."
    }

    def to_internal_value(self, data: Any) -> tuple[str, str]:
        if not isinstance(data, str) or len(data) > 32:
            self.fail("invalid", value=data)
        key = re.sub(r"[\s_-]+", "", data).upper()
        if key not in STATUSES:
            self.fail("invalid", value=data)
        return key, data.strip()

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field({"type": "string", "pattern": "^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$"})
class CommitShaField(serializers.Field):
    default_error_messages = {
        "invalid": "Must be the full commit SHA: 40 or 64 hexadecimal characters."
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or not re.fullmatch(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", data):
            self.fail("invalid")
        return data.lower()

    def to_representation(self, value: Any) -> Any:
        return value


def _check_typed(value: Any, kind: str) -> str | None:
    """Why `value` is not of Allstacks type `kind`, or None when it is."""
    integral = isinstance(value, int) and not isinstance(value, bool)
    if kind == "string":
        return None if isinstance(value, str) else "Expected a string."
    if kind == "integer":
        return None if integral else "Expected an integer."
    if kind == "float":
        number = integral or isinstance(value, float)
        return None if number else "Expected a number."
    if kind == "duration":
        return None if integral and value >= 0 else "Expected a duration in whole seconds."
    if not integral:
        return "Expected a timestamp in seconds since the epoch (an integer)."
    try:
        time.from_epoch_seconds(value)
    except ValueError as exc:
        return str(exc)
    return None


class OptionalFieldSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=200)
    value = serializers.JSONField()
    type = serializers.ChoiceField(choices=OPTIONAL_TYPES)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("type"), str):
            data = {**data, "type": data["type"].strip().lower()}
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        value, kind = attrs["value"], attrs["type"]
        if isinstance(value, list):
            if len(value) > MAX_OPTIONAL_VALUES:
                raise serializers.ValidationError(
                    {"value": [f"At most {MAX_OPTIONAL_VALUES} values are allowed."]}
                )
            problems = {i: [p] for i, v in enumerate(value) if (p := _check_typed(v, kind))}
            if problems:
                # Keyed by list position, which the error handler renders as [i]; the stubs
                # only foresee names.
                raise serializers.ValidationError({"value": problems})  # type: ignore[dict-item]
        elif problem := _check_typed(value, kind):
            raise serializers.ValidationError({"value": [problem]})
        return attrs


class CustomCDJobSerializer(serializers.Serializer):
    job_id = serializers.CharField(max_length=200)
    commit_sha = CommitShaField()
    # The id of the Custom CD service inside Allstacks: the client's, kept as sent. The token
    # names the DORA Hub connection; this only labels the service.
    service_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    job_start_time = EpochSecondsField()
    job_duration = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    status = AllstacksStatusField()
    repo_id = LenientCharField(max_length=200, validators=[readable_url])
    # A repository's name is kept to 300 characters (deployments.Repository.name).
    repo_name = LenientCharField(max_length=300, validators=[readable_url])
    triggered_by = LenientCharField(max_length=300)
    job_type = LenientCharField(max_length=200)
    # many=True makes a ListSerializer, which takes max_length; the stubs type the child's.
    optional = OptionalFieldSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_OPTIONAL_FIELDS, allow_empty=True
    )

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"body": [f"Expected a JSON object, got {type(data).__name__}."]}
            )
        return super().to_internal_value(data)

    def validate_optional(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[str] = set()
        problems: dict[int, dict[str, list[str]]] = {}
        for index, item in enumerate(value):
            if item["key"] in seen:
                problems[index] = {"key": [f"Duplicated key {item['key']!r}."]}
            seen.add(item["key"])
        if problems:
            # Keyed by list position, rendered as [i] (see above).
            raise serializers.ValidationError(problems)  # type: ignore[arg-type]
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problems: dict[str, list[str]] = {}
        if not attrs["repo_id"] and not attrs["repo_name"]:
            message = "One of repo_id or repo_name is required."
            problems = {"repo_id": [message], "repo_name": [message]}
        try:
            time.from_epoch_seconds(attrs["job_start_time"].timestamp() + attrs["job_duration"])
        except ValueError:
            problems["job_duration"] = ["job_start_time + job_duration is out of range."]
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def to_data(self, *, company_id: str = "", services: dict[str, str] | None = None) -> JobData:
        """`company_id` is the URL's Allstacks tenant; `services` the connection's mapping of
        Allstacks service ids to service names."""
        v = self.validated_data
        key, original = v["status"]
        status, progress = STATUSES[key]
        started_at = v["job_start_time"]
        as_of = started_at + timedelta(seconds=v["job_duration"])
        # Allstacks does not take job_id as unique: the job is this run of it, on this
        # commit, started at this second.
        identity = f"{v['job_id']}|{v['commit_sha']}|{int(started_at.timestamp())}"
        return JobData(
            external_id=v["job_id"],
            identity_key=identity,
            report=StatusReport(
                status=status, original_status=original, at=as_of, progress=progress
            ),
            job_type=v["job_type"].strip() or DEFAULT_JOB_TYPE,
            repo_url=v["repo_name"] or v["repo_id"],
            repository_external_id=v["repo_id"],
            commit_sha=v["commit_sha"],
            started_at=started_at,
            finished_at=as_of if status != CIStatus.ON_HOLD else None,
            duration_seconds=v["job_duration"],
            triggered_by=v["triggered_by"].strip() or DEFAULT_TRIGGERED_BY,
            properties={
                item["key"]: {"type": item["type"], "value": item["value"]}
                for item in v.get("optional", [])
            },
            service=service_label(v["service_id"], services or {}),
            sender_refs={"company_id": company_id, "service_id": v["service_id"]},
        )


def service_label(service_id: int, services: dict[str, str]) -> str:
    """The service name a connection maps an Allstacks service id to, else `allstacks:<id>`."""
    return services.get(str(service_id)) or f"allstacks:{service_id}"
