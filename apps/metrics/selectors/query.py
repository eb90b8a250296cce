"""Shared query pieces: a slice of projects and days, grouping per (project, bucket), local-day
conditions."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import DateField, Expression, Q, QuerySet
from django.db.models.functions import Trunc

from apps.core.time import utc_day_bounds
from apps.metrics.selectors.periods import PRODUCTION, Scope

Key = int | None  # a project id, or None for all projects together


@dataclass(frozen=True)
class Slice:
    project_ids: tuple[int, ...] | None  # None: all projects as one
    tz: ZoneInfo
    since: date
    until: date
    environment: str = PRODUCTION
    service: str = ""
    merged: bool = False  # the projects' rows as one project's (a team), keyed None

    @property
    def start(self) -> datetime:
        return utc_day_bounds(self.since, self.tz)[0]

    @property
    def end(self) -> datetime:
        return utc_day_bounds(self.until, self.tz)[0]

    @property
    def by_project(self) -> bool:
        return self.project_ids is not None and not self.merged

    def members(self) -> list[Key]:
        if self.merged or self.project_ids is None:
            return [None]
        return list(self.project_ids)

    def only(self, ids: Iterable[int]) -> "Slice":
        return Slice(
            project_ids=tuple(ids),
            tz=self.tz,
            since=self.since,
            until=self.until,
            environment=self.environment,
            service=self.service,
        )


def scope_slice(scope: Scope) -> Slice:
    """The rows a scope's figures are computed over (shared with the drill-down lists)."""
    return Slice(
        project_ids=scope.project_ids,
        tz=scope.tz,
        since=scope.since,
        until=scope.until,
        environment=scope.environment,
        service=scope.service,
        merged=scope.project is None and bool(scope.projects),
    )


Row = dict[str, Any]
Grouped = dict[tuple[Key, date | None], Row]


def aggregate_per_group(
    queryset: QuerySet[Any],
    *,
    by_project: bool,
    bucket: Expression | None,
    aggregates: dict[str, Any],
) -> Grouped:
    """Run `aggregates` per (project, bucket) in one query; missing groups had no rows."""
    names = []
    if bucket is not None:
        queryset = queryset.annotate(bucket=bucket)
        names.append("bucket")
    if by_project:
        names.append("project_id")
    if not names:
        return {(None, None): queryset.aggregate(**aggregates)}
    rows = queryset.order_by().values(*names).annotate(**aggregates)
    return {(row.get("project_id"), row.get("bucket")): row for row in rows}


def bucket_of(expression: Any, interval: str | None, tz: ZoneInfo) -> Expression | None:
    if interval is None:
        return None
    return Trunc(expression, interval, output_field=DateField(), tzinfo=tz)


def within_local_days(field: str, days: Iterable[date], tz: ZoneInfo) -> Q:
    """`field` (an instant) lies on one of the local `days`; consecutive days are one range."""
    condition = Q()
    ordered = sorted(set(days))
    if not ordered:
        return Q(pk__in=[])
    run_start = ordered[0]
    for day, following in zip(ordered, [*ordered[1:], None], strict=True):
        if following != day + timedelta(days=1):
            low, high = utc_day_bounds(run_start, tz)[0], utc_day_bounds(day, tz)[1]
            condition |= Q(**{f"{field}__gte": low, f"{field}__lt": high})
            if following is not None:  # None ends the loop
                run_start = following
    return condition


def on_marked_days(
    project_field: str,
    field: str,
    marked: dict[int, set[date]],
    tz: ZoneInfo,
    zones: dict[int, ZoneInfo] | None = None,
) -> Q:
    """`field` lies on a marked day of its project; a project's days are local to its own
    zone in `zones` (the members of a team or of all projects), else to `tz`."""
    condition = Q()
    for project_id, days in marked.items():
        zone = (zones or {}).get(project_id, tz)
        condition |= Q(**{project_field: project_id}) & within_local_days(field, days, zone)
    return condition
