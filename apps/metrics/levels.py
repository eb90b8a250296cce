"""The DORA performance levels of METRICS.md, for the 2023 (default) and 2021 benchmarks."""

from dataclasses import dataclass

ELITE, HIGH, MEDIUM, LOW, NO_DATA = "elite", "high", "medium", "low", "no data"
BENCHMARKS = ("2023", "2021")

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
SIX_MONTHS = 6 * MONTH


@dataclass(frozen=True)
class DeploymentDays:
    """Medians of deployment days per calendar bucket (empty buckets count as zero)."""

    per_week: float | None
    per_month: float | None
    per_half_year: float | None


def deployment_frequency(days: DeploymentDays, *, benchmark: str) -> str:
    if days.per_week is None:
        return NO_DATA
    if days.per_week >= 5:
        return ELITE
    if benchmark == "2021":
        if days.per_month is not None and days.per_month >= 1:
            return HIGH
        if days.per_half_year is not None and days.per_half_year >= 1:
            return MEDIUM
        return LOW
    if days.per_week >= 1:
        return HIGH
    if days.per_month is not None and days.per_month >= 1:
        return MEDIUM
    return LOW


def lead_time(median_seconds: float | None, *, benchmark: str) -> str:
    if median_seconds is None:
        return NO_DATA
    if benchmark == "2021":
        return _below(median_seconds, elite=HOUR, high=WEEK, medium=SIX_MONTHS)
    return _below(median_seconds, elite=DAY, high=WEEK, medium=MONTH)


def change_failure_rate(rate: float | None, *, benchmark: str) -> str:
    if rate is None:
        return NO_DATA
    limits = (0.15, 0.20, 0.30) if benchmark == "2021" else (0.05, 0.10, 0.15)
    for level, limit in zip((ELITE, HIGH, MEDIUM), limits, strict=True):
        if rate <= limit:
            return level
    return LOW


def restore_time(median_seconds: float | None, *, benchmark: str) -> str:
    """Time to restore service and failed deployment recovery time (same table in both)."""
    if median_seconds is None:
        return NO_DATA
    return _below(median_seconds, elite=HOUR, high=DAY, medium=WEEK)


def _below(value: float, *, elite: float, high: float, medium: float) -> str:
    if value < elite:
        return ELITE
    if value < high:
        return HIGH
    if value < medium:
        return MEDIUM
    return LOW
