"""Input fields shared by every adapter's serializers."""

from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

from rest_framework import serializers

from apps.core import time

# Serializer context keys. DEVLAKE_TIMES: on DevLake's own routes only, read its zoneless
# `YYYY-MM-DD HH:MM[:SS]` as UTC (the drop-in rule); TIME_READINGS collects how each such
# value was read, for the delivery inbox.
DEVLAKE_TIMES = "devlake_times"
TIME_READINGS = "time_readings"


class AwareDateTimeField(serializers.Field[Any, Any, Any, Any]):
    """ISO 8601 with an offset; naive or unparsable values are rejected with a clear reason."""

    default_error_messages = {"invalid": "{reason}"}

    def __init__(self, *, allow_blank: bool = False, **kwargs: Any):
        self.allow_blank = allow_blank
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if self.allow_blank and data == "":
            if self.required:
                self.fail("required")
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str):
            self.fail("invalid", reason="Expected an ISO 8601 timestamp string with an offset.")
        try:
            if self.context.get(DEVLAKE_TIMES):
                instant, reading = time.parse_devlake(data)
                if reading is not None:
                    # The context is the receiver's dict (typed a read-only Mapping).
                    context = cast(dict[str, Any], self.context)
                    context.setdefault(TIME_READINGS, []).append(
                        {"field": self._path(), "value": data, "read_as": reading}
                    )
                return instant
            return time.parse_aware(data)
        except ValueError as exc:
            self.fail("invalid", reason=str(exc))
        raise AssertionError("unreachable")

    def _path(self) -> str:
        names = []
        node: Any = self
        while node is not None and getattr(node, "field_name", None) not in (None, ""):
            names.append(str(node.field_name))
            node = node.parent
        return ".".join(reversed(names))

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class EpochSecondsField(serializers.Field[Any, Any, Any, Any]):
    default_error_messages = {"invalid": "{reason}"}

    def __init__(self, *, millis: bool = False, **kwargs: Any):
        self.millis = millis
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> datetime:
        unit = "milliseconds" if self.millis else "seconds"
        if isinstance(data, str) and data.strip().lstrip("-").isdigit():
            try:
                data = int(data.strip())
            except ValueError:  # "²" is a digit to isdigit(); 5,000 digits are too many for int()
                self.fail("invalid", reason=f"Expected a Unix timestamp in {unit}.")
        try:
            if self.millis:
                return time.from_epoch_millis(data)
            return time.from_epoch_seconds(data)
        except (ValueError, OverflowError, OSError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else f"Out of range for epoch {unit}."
            self.fail("invalid", reason=reason)
        raise AssertionError("unreachable")

    def to_representation(self, value: datetime) -> int:
        return int(value.timestamp() * (1000 if self.millis else 1))


class UpperChoiceField(serializers.ChoiceField):
    """A choice matched case-insensitively and stored upper-case."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


class IdentifierField(serializers.RegexField):
    """A commit sha or other change identifier (a version, a revision number): 1-128 letters,
    digits and `. _ - : / @ + # ~ ^`. Quotes, semicolons, `$`, `<` and the like appear in no
    version control system's identifiers, only in injection attempts."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 128)
        super().__init__(
            r"^[A-Za-z0-9._\-:/@+#~^]+$",
            error_messages={
                "invalid": (
                    "Must be a commit sha or identifier: letters, digits and . _ - : / @ + # ~ ^ "
                    "only, no whitespace."
                ),
                "blank": "Must not be empty.",
                "max_length": "Must be at most 128 characters.",
            },
            **kwargs,
        )


class LenientCharField(serializers.CharField):
    """An optional text field that also takes null, and numbers sent by loose clients."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("default", "")
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        # DRF answers null itself (as None) before to_internal_value; the models want "".
        if data is None:
            return True, ""
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> str:
        if data is None:
            return ""
        return super().to_internal_value(data)


def readable_url(value: str) -> None:
    """Validator for repository URLs: a host or port that cannot be read (`:99999`, `:abc`,
    `[::1` without its bracket) is the sender's mistake, answered 400 rather than met later
    by the normalisation as a crash."""
    if not value:
        return
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - reading it is the check
    except ValueError as exc:
        raise serializers.ValidationError(f"Not a usable URL: {exc}.") from None


def rename_aliases(payload: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    """Map alternative spellings (camelCase) to canonical names; both at once is an error."""
    result = dict(payload)
    clashes: dict[str, list[str]] = {}
    for alias, canonical in aliases.items():
        if alias in result:
            value = result.pop(alias)
            if canonical in payload and alias != canonical:
                clashes[alias] = [f"Send either {alias!r} or {canonical!r}, not both."]
                continue
            result[canonical] = value
    if clashes:
        raise serializers.ValidationError(clashes)
    return result
