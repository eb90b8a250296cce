"""Time helpers: everything stored is UTC-aware; naive input is rejected, never guessed."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# Instants outside this range are junk (a Go zero time, milliseconds sent as seconds), and near
# the ends of Python's calendar the date arithmetic done later (link windows, day buckets) would
# overflow and leave the delivery forever unprocessed: refuse them on input.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
MIN_EPOCH_SECONDS = 0
MAX_EPOCH_SECONDS = int(LATEST.timestamp())
# The days a period asked for may start and (exclusively) end on.
FIRST_DAY = EARLIEST.date()
LAST_DAY = LATEST.date() + timedelta(days=1)
# The longest period a page or the API computes (cost grows with it): three years.
MAX_PERIOD_DAYS = 3 * 366


def check_period_day(day: date | None) -> str | None:
    """Why `day` cannot bound a period (None when it can): beyond these days the period's date
    arithmetic would overflow, and no data lies there."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        return f"Must be between {FIRST_DAY} and {LAST_DAY}."
    return None


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
    try:
        instant = parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is past the last representable instant
        instant = None
    if instant is None or not EARLIEST <= instant <= LATEST:
        raise ValueError(f"{value!r} is out of range (1970-01-01 to 2999-12-31).")
    return instant


# Apache DevLake's webhook times (core/models/common/iso8601time.go): a date and a time with a
# space and no zone, read as UTC. Only these two forms; "T" without a zone stays naive.
_DEVLAKE_ZONELESS = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?")


def parse_devlake(value: str) -> tuple[datetime, str | None]:
    """A time as DevLake's webhook reads it: `YYYY-MM-DD HH:MM[:SS]` with no zone is UTC,
    everything else as `parse_aware` (offsets such as `-0700` included). Returns the instant
    and, for a zoneless value, how it was read (for the delivery inbox)."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and _DEVLAKE_ZONELESS.fullmatch(text):
        instant = parse_aware(text + "+00:00")
        return (
            instant,
            f"{text!r} has no zone: read as UTC ({instant.isoformat()}), as DevLake does",
        )
    return parse_aware(value), None


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
