"""The one way each unit is written: durations, counts, rates and frequencies.

Every page, list, CSV header and chart axis goes through these functions, so "time to
restore" reads the same everywhere ("8.5 h", never "8 hours, 30 minutes" on one page and
"510 min" on another)."""

from datetime import datetime, timedelta

NO_VALUE = "—"
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

# (unit label, seconds per unit) for durations and chart axes, smallest first.
DURATION_UNITS = (("s", 1.0), ("min", MINUTE), ("h", HOUR), ("d", DAY))


def duration_unit(seconds: float) -> tuple[str, float]:
    """The unit a duration of `seconds` is written in: below 90 s in seconds, below 90 min
    in minutes, below 36 h in hours, otherwise in days."""
    seconds = abs(seconds)
    if seconds < 90:
        return DURATION_UNITS[0]
    if seconds < 90 * MINUTE:
        return DURATION_UNITS[1]
    if seconds < 36 * HOUR:
        return DURATION_UNITS[2]
    return DURATION_UNITS[3]


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return NO_VALUE
    seconds = float(seconds)
    if seconds < 0:
        return "-" + human_duration(-seconds)
    unit, size = duration_unit(seconds)
    value = seconds / size
    return f"{value:.0f} {unit}" if unit in ("s", "min") else f"{value:.1f} {unit}"


def human_timedelta(value: timedelta | None) -> str:
    return human_duration(value.total_seconds() if value is not None else None)


def count(value: int | None, noun: str = "", plural: str = "") -> str:
    if value is None:
        return NO_VALUE
    if not noun:
        return f"{value:,}"
    return f"{value:,} {noun if value == 1 else (plural or noun + 's')}"


def percent(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value * 100:.1f}%"


def frequency(per_day: float | None) -> str:
    """Deployments per day written per day, week or month, whichever reads as at least 1."""
    if per_day is None:
        return NO_VALUE
    if per_day >= 1 or per_day == 0:
        return f"{per_day:.1f} / day"
    if per_day * 7 >= 1:
        return f"{per_day * 7:.1f} / week"
    return f"{per_day * 30:.1f} / month"


def axis_unit(values: list[float | None]) -> tuple[str, float]:
    """One duration unit for a chart axis, chosen from its largest value."""
    known = [abs(v) for v in values if v is not None]
    return duration_unit(max(known)) if known else DURATION_UNITS[2]


def csv_header(name: str, unit: str) -> str:
    """A CSV column named with its unit, e.g. `time_to_restore_seconds`."""
    return f"{name}_{unit}" if unit else name


# The raw values of a CSV cell or a `data-` attribute: machine-readable, never localised, empty
# when there is none (the page contract in docs/dashboards.md).


def csv_instant(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def csv_seconds(value: float | None) -> str:
    return "" if value is None else str(round(value))


def raw_number(value: float | None) -> str:
    return "" if value is None else repr(float(value))
