"""Hypothesis against every input serializer: whatever JSON a sender posts, validation either
passes (and the validated data converts to what the services take) or fails with a
ValidationError. Any other exception would be a 500 for client input.

Values are drawn from each serializer's own fields (shape-aware, so nested objects are reached)
mixed with arbitrary JSON, extreme numbers and hostile strings."""

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from django.utils import timezone as django_timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from apps.core.serializer_fields import AwareDateTimeField, EpochSecondsField
from apps.integrations.allstacks.serializers import CustomCDJobSerializer
from apps.integrations.cirrus.serializers import CirrusEventSerializer, flatten
from apps.integrations.devlake.serializers import (
    DEPLOYMENT_ALIASES,
    ISSUE_ALIASES,
    DeploymentSerializer,
    IssueSerializer,
)
from apps.integrations.github import serializers as github
from apps.integrations.pulse.serializers import (
    EVENT_SERIALIZERS,
    NativeChangeSerializer,
    NativeDeploymentSerializer,
    NativeIncidentSerializer,
    parse_events,
)

# Strings a field may well accept and must then store and echo safely.
INJECTIONS = st.sampled_from(
    [
        "'; DROP TABLE deployments_deployment; --",
        "$(rm -rf /)",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "{{7*7}}",
        "\u202e\u200b\ufeff",
        "😀" * 50,
    ]
)
# Strings and numbers that are wrong anywhere.
HOSTILE = st.sampled_from(["a\u0000b", "\ud800", "x" * 100_001, "1e999", "NaN", "9" * 5000])
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, -0.0, 1e308, 5e-324]),
    st.floats(allow_nan=False, allow_infinity=False),
)
TEXT = st.one_of(st.text(max_size=40), INJECTIONS)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT, HOSTILE)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
PLAUSIBLE = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 30), timezones=OFFSETS
)
EXTREME = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59), timezones=OFFSETS
)
HEX = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
SAFE_CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
# Anything a sender may get wrong in one value.
WRONG = st.one_of(
    ANY_JSON,
    HOSTILE,
    NUMBERS,
    EXTREME.map(datetime.isoformat),
    PLAUSIBLE.map(lambda moment: moment.replace(tzinfo=None).isoformat()),  # naive
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",  # Go's zero time
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "9999-12-31T23:59:59+00:00",
            "2024-02-30T00:00Z",
            "2024-01-01T25:00:00Z",
        ]
    ),
)
# Fields of the adapters' own classes, by class name.
CUSTOM = {
    "CommitShaField": HEX,
    "AllstacksStatusField": st.sampled_from(["Succeeded", "Failed", "On Hold", "ON_HOLD"]),
    "CirrusIdField": st.one_of(st.integers(min_value=0, max_value=2**63), HEX),
}


def text_for(field: serializers.CharField) -> st.SearchStrategy[str]:
    longest = min(field.max_length or 60, 60)
    fitting = [s for s in INJECTIONS.elements if len(s) <= longest]  # type: ignore[attr-defined]
    return st.one_of(
        st.text(SAFE_CHARACTERS, min_size=1, max_size=longest).filter(str.strip),
        st.sampled_from(fitting),
    )


def number_for(field: serializers.Field) -> st.SearchStrategy[Any]:
    low = field.min_value if field.min_value is not None else -(10**6)
    high = field.max_value if field.max_value is not None else 10**9
    if isinstance(field, serializers.FloatField):
        return st.floats(min_value=low, max_value=high, allow_nan=False)
    return st.integers(min_value=low, max_value=high)


def value_for(field: serializers.Field, depth: int) -> st.SearchStrategy[Any]:
    """A value the field should accept (the mutations make the wrong ones)."""
    if type(field).__name__ in CUSTOM:
        return CUSTOM[type(field).__name__]
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        child = value_for(field.child, depth + 1)
        return st.lists(child, min_size=1, max_size=min(field.max_length or 3, 3))
    if isinstance(field, serializers.Serializer):
        if depth >= 4:
            return st.just({})
        objects = shaped(field, depth=depth + 1)
        return st.one_of(objects, objects, objects, mutated(objects))
    if isinstance(field, AwareDateTimeField):
        return PLAUSIBLE.map(datetime.isoformat)
    if isinstance(field, EpochSecondsField):
        scale = 1000 if field.millis else 1
        return PLAUSIBLE.map(lambda moment: int(moment.timestamp()) * scale)
    if isinstance(field, serializers.ChoiceField):
        return st.sampled_from(list(field.choices))
    if isinstance(field, serializers.BooleanField):
        return st.booleans()
    if isinstance(field, serializers.IntegerField | serializers.FloatField):
        return number_for(field)
    if isinstance(field, serializers.RegexField):
        return HEX
    if isinstance(field, serializers.JSONField):
        return ANY_JSON
    if isinstance(field, serializers.CharField):
        return text_for(field)
    return ANY_JSON


def shaped(
    serializer: serializers.Serializer,
    depth: int = 0,
    aliases: dict[str, str] | None = None,
    also: tuple[str, ...] = (),
) -> st.SearchStrategy[dict[str, Any]]:
    """An object of the serializer's shape: every required field (and those `also` names,
    required together by its validate()), some optional ones, each under one of the spellings
    the sender may use."""
    fields = dict(serializer.fields)
    every = {name: value_for(field, depth) for name, field in fields.items()}
    required = {
        name: every[name] for name, field in fields.items() if field.required or name in also
    }
    optional = {name: value for name, value in every.items() if name not in required}
    objects = st.fixed_dictionaries(required, optional=optional)
    if not aliases:
        return objects
    spellings: dict[str, list[str]] = {}
    for alias, canonical in aliases.items():
        spellings.setdefault(canonical, [canonical]).append(alias)

    def respell(body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        names = [st.sampled_from(spellings.get(name, [name])) for name in body]
        return st.tuples(*names).map(lambda chosen: dict(zip(chosen, body.values(), strict=True)))

    return objects.flatmap(respell)


def mutated(objects: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """One thing wrong: a field missing, a field with a wrong value, or an unknown field."""

    def mutate(body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        extra = st.tuples(st.text(max_size=10), WRONG).map(lambda kv: {**body, kv[0]: kv[1]})
        if not body:
            return extra
        key = st.sampled_from(sorted(body))
        dropped = key.map(lambda name: {k: v for k, v in body.items() if k != name})
        wrong = st.tuples(key, WRONG).map(lambda kv: {**body, kv[0]: kv[1]})
        return st.one_of(dropped, wrong, wrong, extra)

    return objects.flatmap(mutate)


def bodies(serializer: serializers.Serializer, **kwargs: Any) -> st.SearchStrategy[Any]:
    """Right, slightly wrong, or anything at all."""
    objects = shaped(serializer, **kwargs)
    return st.one_of(objects, objects, mutated(objects), mutated(objects), ANY_JSON)


# --- the property, per serializer ------------------------------------------------------------


def accepts(serializer: serializers.Serializer, convert: Any = None) -> bool:
    """is_valid() raises nothing it should not; valid data converts without an error."""
    try:
        valid = serializer.is_valid()
    except serializers.ValidationError:
        return False  # refused before field validation (alias clash): still a clean 400
    if valid and convert is not None:
        convert(serializer)
    return valid


def devlake_deployment(body: Any) -> bool:
    serializer = DeploymentSerializer(data=body)
    return accepts(serializer, lambda s: s.to_data(received_at=django_timezone.now()))


def devlake_issue(body: Any) -> bool:
    return accepts(IssueSerializer(data=body), lambda s: s.to_data())


def allstacks_job(body: Any) -> bool:
    return accepts(CustomCDJobSerializer(data=body), lambda s: s.to_data())


def cirrus(event: str) -> Any:
    def check(body: Any) -> bool:
        if not isinstance(body, dict):
            return False  # the receiver's parser refuses non-objects first
        try:
            flat, _ = flatten(body)
        except serializers.ValidationError:
            return False
        serializer = CirrusEventSerializer(data=flat, event=event)
        return accepts(serializer, lambda s: (s.build_data(), event == "task" and s.task_data()))

    return check


def pulse_webhook(payload: Any) -> bool:
    try:
        parse_events(payload, system="")
    except serializers.ValidationError:
        return False
    return True


def native(serializer_class: type[serializers.Serializer]) -> Any:
    return lambda body: accepts(serializer_class(data=body), lambda s: s.to_event())


def plain(serializer_class: type[serializers.Serializer]) -> Any:
    return lambda body: accepts(serializer_class(data=body))


def cirrus_bodies(event: str) -> st.SearchStrategy[Any]:
    inner = bodies(CirrusEventSerializer(event=event))
    return st.one_of(inner, st.fixed_dictionaries({"data": inner}))


def pulse_bodies() -> st.SearchStrategy[Any]:
    events = st.one_of(
        *[
            bodies(serializer_class()).map(
                lambda body, kind=kind: {"$type": kind, **body} if isinstance(body, dict) else body
            )
            for kind, serializer_class in EVENT_SERIALIZERS.items()
        ]
    )
    return st.one_of(events, events, st.lists(events, min_size=1, max_size=3))


CASES = {
    "devlake deployment": (
        bodies(DeploymentSerializer(), aliases=DEPLOYMENT_ALIASES, also=("repo_url", "commit_sha")),
        devlake_deployment,
    ),
    "devlake issue": (bodies(IssueSerializer(), aliases=ISSUE_ALIASES), devlake_issue),
    "allstacks job": (bodies(CustomCDJobSerializer(), also=("repo_name",)), allstacks_job),
    "cirrus build": (cirrus_bodies("build"), cirrus("build")),
    "cirrus task": (cirrus_bodies("task"), cirrus("task")),
    "pulse webhook": (pulse_bodies(), pulse_webhook),
    "native change": (bodies(NativeChangeSerializer()), native(NativeChangeSerializer)),
    "native incident": (bodies(NativeIncidentSerializer()), native(NativeIncidentSerializer)),
    "native deployment": (
        bodies(NativeDeploymentSerializer(), aliases={"commits": "changes"}),
        native(NativeDeploymentSerializer),
    ),
    **{
        f"github {serializer_class.__name__}": (
            bodies(serializer_class()),
            plain(serializer_class),
        )
        for serializer_class in (
            github.PushSerializer,
            github.PullRequestSerializer,
            github.DeploymentStatusSerializer,
            github.WorkflowRunSerializer,
            github.ReleaseSerializer,
            github.IssuesSerializer,
            github.CreateSerializer,
        )
    },
}
EXAMPLES = 150


@pytest.mark.parametrize("name", list(CASES))
def test_any_body_is_validated_or_refused_never_an_error(name):
    strategy, check = CASES[name]
    outcomes = {True: 0, False: 0}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=strategy)
    def fuzz(body):
        outcomes[check(body)] += 1

    fuzz()
    # Worth something only if the fuzzing gets past validation, and is refused too.
    assert outcomes[True] >= EXAMPLES // 20, outcomes
    assert outcomes[False] >= EXAMPLES // 20, outcomes
