"""Pulse's event bodies (the `cli` ingestion provider) and the native change, incident and
deployment routes that use the Pulse CLI's field names.

Both vocabularies translate into the same three things: a `ChangeReport` for
`record_change`, a `DeploymentData` for `upsert_deployment` and an `IssueData` for
`upsert_issue`. Pulse's `system` (its partition of an organisation) becomes the `service`.
"""

from datetime import datetime
from typing import Any

from rest_framework import serializers

from apps.core.serializer_fields import (
    AwareDateTimeField,
    EpochSecondsField,
    IdentifierField,
    LenientCharField,
    UpperChoiceField,
    readable_url,
    rename_aliases,
)
from apps.deployments.changes import CommitRef
from apps.deployments.models import DeploymentResult, Environment
from apps.deployments.services import DeploymentData
from apps.integrations.outcomes import ChangeReport
from apps.issues.models import IssueStatus
from apps.issues.services import INCIDENT_TYPE, IssueData

# A release cut from a year of history can hold thousands of commits; 5000 shas stay far
# below the request body limit, and one such deployment answers in under 2 s on PostgreSQL
# (issue 16, finding 7). An array of events has its own, lower cap: MAX_BATCH_CHANGES.
MAX_CHANGES = 5000
# Events per request when a client sends a JSON array (DORA Hub extension for backfills).
MAX_EVENTS = 500
# Deployments and incidents per array: each is its own write (about 20 ms), where a run of
# change events is one set-based write.
MAX_RECORDS = 10
# All the changes of one array (change events plus every deployment's list): ten deployments
# of 500 new changes took 2.4 s on PostgreSQL, 2000 stay well under 2 s.
MAX_BATCH_CHANGES = 2000
MAX_SYSTEM_LENGTH = 200

CHANGE_KINDS = ("commit", "push")
RESULTS = [r for r in DeploymentResult.values if r != DeploymentResult.IN_PROGRESS]


class SystemSerializer(serializers.Serializer):
    """`system` from the body, or from the `?system=` query string as Pulse's CLI sends it."""

    system = LenientCharField(max_length=MAX_SYSTEM_LENGTH)

    def to_event(self) -> ChangeReport | DeploymentData | IssueData:
        raise NotImplementedError

    def resolve_system(self, attrs: dict[str, Any]) -> str:
        from_body = attrs.get("system", "")
        from_query = (self.context.get("system") or "").strip()
        if len(from_query) > MAX_SYSTEM_LENGTH:
            raise serializers.ValidationError(
                {"system": [f"Ensure this field has no more than {MAX_SYSTEM_LENGTH} characters."]}
            )
        if from_body and from_query and from_body != from_query:
            raise serializers.ValidationError(
                {"system": [f"The body says {from_body!r} but the URL says {from_query!r}."]}
            )
        return from_body or from_query


class ChangesField(serializers.ListField):
    """The commit shas a deployment contains (the native route: at least one)."""

    default_error_messages = {
        "empty": "List the commits the deployment contains (at least one).",
        "null": "List the commits the deployment contains (at least one).",
    }

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("allow_empty", False)
        super().__init__(child=IdentifierField(), max_length=MAX_CHANGES, **kwargs)


class PulseChangesField(ChangesField):
    """Pulse's Go CLI sends `null` from `push git deployment` when `git log prev..HEAD` is
    empty (a redeploy of the same HEAD): a deployment with no new changes, so `null` and `[]`
    both read as an empty list and the deployment still counts (METRICS.md)."""

    def __init__(self, **kwargs: Any):
        super().__init__(allow_empty=True, allow_null=True, **kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None:
            return True, []
        return super().validate_empty_values(data)


def _not_before(
    attrs: dict[str, Any], *, later: str, earlier: str, problems: dict[str, list[str]]
) -> None:
    if attrs.get(later) is not None and attrs[later] < attrs[earlier]:
        problems[later] = [f"Must not be before {earlier}."]


# --- Pulse's webhook bodies: {"$type": ..., "source": ..., RFC 3339 times} ------------------


class PulseChangeSerializer(SystemSerializer):
    # "cli", "git": informational only. A field named like DRF's Field.source: the serializer
    # metaclass moves it into `_declared_fields`, which the stubs cannot know.
    source = LenientCharField(max_length=100)  # type: ignore[assignment]
    change_id = IdentifierField()
    time_created = AwareDateTimeField()
    event_type = serializers.ChoiceField(choices=CHANGE_KINDS, required=False, default="commit")
    repository = LenientCharField(max_length=500, validators=[readable_url])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["system"] = self.resolve_system(attrs)
        return attrs

    def to_event(self) -> ChangeReport:
        v = self.validated_data
        return ChangeReport(
            sha=v["change_id"],
            at=v["time_created"],
            kind=v["event_type"],
            repo_url=v["repository"],
            service=v["system"],
        )


class PulseDeploymentSerializer(SystemSerializer):
    source = LenientCharField(max_length=100)  # type: ignore[assignment]  # as above
    deploy_id = serializers.CharField(max_length=200)
    time_created = AwareDateTimeField()
    changes = PulseChangesField()
    # DORA Hub extensions; Pulse deployments are successful production deployments.
    environment = UpperChoiceField(
        choices=Environment.values, required=False, default=Environment.PRODUCTION
    )
    result = UpperChoiceField(choices=RESULTS, required=False, default=DeploymentResult.SUCCESS)
    repository = LenientCharField(max_length=500, validators=[readable_url])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["system"] = self.resolve_system(attrs)
        return attrs

    def to_event(self) -> DeploymentData:
        v = self.validated_data
        return deployment_data(
            identifier=v["deploy_id"],
            finished_at=v["time_created"],
            shas=v["changes"],
            service=v["system"],
            environment=v["environment"],
            result=v["result"],
            repo_url=v["repository"],
        )


class PulseIncidentSerializer(SystemSerializer):
    source = LenientCharField(max_length=100)  # type: ignore[assignment]  # as above
    incident_id = serializers.CharField(max_length=200)
    time_created = AwareDateTimeField()
    time_resolved = AwareDateTimeField(required=False, allow_null=True, default=None)
    # DORA Hub extensions: a title for people and the deployment that caused it.
    title = LenientCharField(max_length=1000)
    deployment = LenientCharField(max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["system"] = self.resolve_system(attrs)
        problems: dict[str, list[str]] = {}
        _not_before(attrs, later="time_resolved", earlier="time_created", problems=problems)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def to_event(self) -> IssueData:
        v = self.validated_data
        return incident_data(
            identifier=v["incident_id"],
            created_at=v["time_created"],
            resolved_at=v["time_resolved"],
            service=v["system"],
            title=v["title"],
            deployment=v["deployment"],
        )


EVENT_SERIALIZERS: dict[str, type[SystemSerializer]] = {
    "change": PulseChangeSerializer,
    "deployment": PulseDeploymentSerializer,
    "incident": PulseIncidentSerializer,
}
PulseEvent = ChangeReport | DeploymentData | IssueData


def parse_events(payload: Any, *, system: str = "") -> list[PulseEvent]:
    """One Pulse event (a JSON object) or several (an array), all valid or none applied.
    Problems in an array are named by position: `[2].time_created`."""
    if isinstance(payload, dict):
        return [_parse_event(payload, system=system)]
    if not isinstance(payload, list):
        raise serializers.ValidationError(
            {"body": ["Expected a JSON object (one event) or an array of events."]}
        )
    if not payload:
        raise serializers.ValidationError({"body": ["Send at least one event."]})
    if len(payload) > MAX_EVENTS:
        raise serializers.ValidationError(
            {"body": [f"Send at most {MAX_EVENTS} events per request, not {len(payload)}."]}
        )
    events: list[PulseEvent] = []
    errors: list[Any] = []
    for item in payload:
        try:
            events.append(_parse_event(item, system=system))
            errors.append({})
        except serializers.ValidationError as exc:
            errors.append(exc.detail)
    if any(errors):
        raise serializers.ValidationError(errors)
    records = sum(not isinstance(event, ChangeReport) for event in events)
    if records > MAX_RECORDS:
        raise serializers.ValidationError(
            {
                "body": [
                    f"Send at most {MAX_RECORDS} deployments and incidents per request, "
                    f"not {records}."
                ]
            }
        )
    changes = sum(
        len(event.commits) if isinstance(event, DeploymentData) else 1
        for event in events
        if not isinstance(event, IssueData)
    )
    if changes > MAX_BATCH_CHANGES:
        raise serializers.ValidationError(
            {
                "body": [
                    f"Send at most {MAX_BATCH_CHANGES} changes per request (change events and the "
                    f"changes of every deployment together), not {changes}."
                ]
            }
        )
    return events


def _parse_event(item: Any, *, system: str) -> PulseEvent:
    if not isinstance(item, dict):
        raise serializers.ValidationError([f"Expected a JSON object, got {type(item).__name__}."])
    kind = item.get("$type")
    if kind in (None, ""):
        raise serializers.ValidationError({"$type": ["This field is required."]})
    if not isinstance(kind, str) or kind.strip().lower() not in EVENT_SERIALIZERS:
        raise serializers.ValidationError(
            {"$type": [f"Unknown event type {kind!r}; expected change, deployment or incident."]}
        )
    serializer = EVENT_SERIALIZERS[kind.strip().lower()](data=item, context={"system": system})
    serializer.is_valid(raise_exception=True)
    return serializer.to_event()


# --- Native routes: the Pulse CLI's field names, epoch seconds -----------------------------


class NativeChangeSerializer(SystemSerializer):
    identifier = IdentifierField()
    timestamp = EpochSecondsField()
    repository = LenientCharField(max_length=500, validators=[readable_url])

    def to_event(self) -> ChangeReport:
        v = self.validated_data
        return ChangeReport(
            sha=v["identifier"],
            at=v["timestamp"],
            kind="push",
            repo_url=v["repository"],
            service=v["system"],
        )


class NativeIncidentSerializer(SystemSerializer):
    identifier = serializers.CharField(max_length=200)
    # The Pulse CLI's spelling, so its flags map one to one.
    timestampCreated = EpochSecondsField()
    timestampResolved = EpochSecondsField(required=False, allow_null=True, default=None)
    title = LenientCharField(max_length=1000)
    deployment = LenientCharField(max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problems: dict[str, list[str]] = {}
        _not_before(attrs, later="timestampResolved", earlier="timestampCreated", problems=problems)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def to_event(self) -> IssueData:
        v = self.validated_data
        return incident_data(
            identifier=v["identifier"],
            created_at=v["timestampCreated"],
            resolved_at=v["timestampResolved"],
            service=v["system"],
            title=v["title"],
            deployment=v["deployment"],
        )


class NativeDeploymentSerializer(SystemSerializer):
    """`POST /api/v1/connections/{id}/deployments` with a plain list of commit identifiers."""

    identifier = serializers.CharField(max_length=200)
    timestamp = EpochSecondsField()
    changes = ChangesField()
    environment = UpperChoiceField(
        choices=Environment.values, required=False, default=Environment.PRODUCTION
    )
    result = UpperChoiceField(choices=RESULTS, required=False, default=DeploymentResult.SUCCESS)
    repository = LenientCharField(max_length=500, validators=[readable_url])

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            data = rename_aliases(data, {"commits": "changes"})
        return super().to_internal_value(data)

    def to_event(self) -> DeploymentData:
        v = self.validated_data
        return deployment_data(
            identifier=v["identifier"],
            finished_at=v["timestamp"],
            shas=v["changes"],
            service=v["system"],
            environment=v["environment"],
            result=v["result"],
            repo_url=v["repository"],
        )


def deployment_data(
    *,
    identifier: str,
    finished_at: datetime,
    shas: list[str],
    service: str,
    environment: str,
    result: str,
    repo_url: str,
) -> DeploymentData:
    return DeploymentData(
        external_id=identifier,
        name=identifier,  # Pulse's identifier is a version number or similar: a good name
        finished_at=finished_at,
        commits=[CommitRef(sha=sha, repo_url=repo_url) for sha in shas],
        environment=environment,
        result=result,
        service=service,
        repo_url=repo_url,
    )


def incident_data(
    *,
    identifier: str,
    created_at: datetime,
    resolved_at: datetime | None,
    service: str,
    title: str,
    deployment: str,
) -> IssueData:
    return IssueData(
        issue_key=identifier,
        title=title or f"Incident {identifier}",
        type=INCIDENT_TYPE,
        status=IssueStatus.DONE if resolved_at else IssueStatus.TODO,
        created_at=created_at,
        resolved_at=resolved_at,
        service=service,
        caused_by_ref=deployment,
    )
