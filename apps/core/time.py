"""Time helpers: everything stored is UTC-aware; naive input is rejected, never guessed."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# Epoch values outside this range are almost certainly milliseconds sent as seconds (or junk).
MIN_EPOCH_SECONDS = 0
MAX_EPOCH_SECONDS = 253402300799  # 9999-12-31T23:59:59Z


class NaiveDatetimeError(ValueError):
    pass


def parse_aware(value: str) -> datetime:
    """Parse an ISO 8601 / RFC 3339 timestamp that carries an offset; return it in UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Expected an ISO 8601 timestamp such as 2020-01-01T12:00:00+00:00.")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 timestamp (e.g. 2020-01-01T12:00:00+00:00)."
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{value!r} has no UTC offset; add one, e.g. 2020-01-01T12:00:00+00:00 or ...Z."
        )
    return parsed.astimezone(UTC)


def from_epoch_seconds(value: int | float) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Expected a Unix timestamp in seconds.")
    if not MIN_EPOCH_SECONDS <= value <= MAX_EPOCH_SECONDS:
        raise ValueError(f"{value} is out of range for a Unix timestamp in seconds.")
    return datetime.fromtimestamp(value, tz=UTC)


def from_epoch_millis(value: int | float) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Expected a Unix timestamp in milliseconds.")
    return from_epoch_seconds(value / 1000)


def utc_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The [start, end) instants of a calendar day in a time zone, as UTC datetimes."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)
