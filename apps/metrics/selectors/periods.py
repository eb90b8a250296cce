"""Scopes, periods and buckets: which project-local calendar days a figure covers."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from apps.connections.models import Project

INTERVALS = ("day", "week", "month")
DEFAULT_PERIOD_DAYS = 90
PRODUCTION = "PRODUCTION"


@dataclass(frozen=True)
class Scope:
    """One project (or a team's projects as one, or all), one environment, optionally one
    service, and the calendar days [since, until) of the project (of a team: its shared time
    zone, else UTC; METRICS.md)."""

    project: Project | None
    since: date
    until: date
    environment: str = PRODUCTION
    service: str = ""
    projects: tuple[Project, ...] = ()  # a team: these projects' rows as one project's

    @property
    def tz(self) -> ZoneInfo:
        if self.project is not None:
            return self.project.tz
        zones = {p.time_zone for p in self.projects}
        return self.projects[0].tz if len(zones) == 1 else ZoneInfo("UTC")

    @property
    def project_ids(self) -> tuple[int, ...] | None:
        """The projects whose rows count; None for all."""
        if self.project is not None:
            return (self.project.pk,)
        if self.projects:
            return tuple(p.pk for p in self.projects)
        return None


def default_period(*, tz: ZoneInfo, now: datetime | None = None) -> tuple[date, date]:
    """The last 90 days, today (in `tz`) included."""
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    return today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today + timedelta(days=1)


def bucket_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: date, interval: str) -> date:
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def bucket_starts(since: date, until: date, interval: str) -> list[date]:
    """Every bucket overlapping [since, until), empty or not; weeks start on Monday."""
    starts = []
    current = bucket_start(since, interval)
    while current < until:
        starts.append(current)
        current = next_bucket(current, interval)
    return starts
