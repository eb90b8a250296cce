"""Deployment counts per (project, day): from the rows or the daily snapshots, rolled up per
bucket."""

from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Q, QuerySet

from apps.deployments.models import Deployment
from apps.metrics.models import DailySnapshot
from apps.metrics.selectors.definitions import (
    FAILED_ATTEMPT_RESULTS,
    SUCCESS,
    failed_deployment_q,
    rework_deployment_q,
)
from apps.metrics.selectors.periods import bucket_start
from apps.metrics.selectors.query import (
    Grouped,
    Key,
    Slice,
    aggregate_per_group,
    bucket_of,
    on_marked_days,
)
from apps.metrics.selectors.sources import FigureSources


def deployments_of(piece: Slice) -> QuerySet[Deployment]:
    queryset = Deployment.objects.filter(
        environment=piece.environment,
        finished_at__gte=piece.start,
        finished_at__lt=piece.end,
    )
    if piece.project_ids is not None:
        queryset = queryset.filter(project_id__in=piece.project_ids)
    if piece.service:
        queryset = queryset.filter(service=piece.service)
    return queryset


COUNTS = ("n_deployments", "n_failed_attempts", "n_failed", "n_rework")


def live_deployment_counts(piece: Slice, days: dict[int, set[date]] | None = None) -> Grouped:
    """Counts per (project, local day), from the rows; only of `days` when given."""
    queryset = deployments_of(piece)
    if days is not None:
        queryset = queryset.filter(on_marked_days("project_id", "finished_at", days, piece.tz))
    aggregates = {
        "n_deployments": Count("pk", filter=SUCCESS),
        "n_failed_attempts": Count("pk", filter=Q(result__in=FAILED_ATTEMPT_RESULTS)),
        "n_failed": Count("pk", filter=SUCCESS & failed_deployment_q()),
        "n_rework": Count("pk", filter=SUCCESS & rework_deployment_q()),
    }
    return aggregate_per_group(
        queryset,
        by_project=piece.by_project,
        bucket=bucket_of("finished_at", "day", piece.tz),
        aggregates=aggregates,
    )


DayCountRows = dict[tuple[Key, date], tuple[int, ...]]  # (project, day) -> COUNTS


def snapshot_deployment_counts(piece: Slice) -> DayCountRows:
    """Counts per (project, local day), from the daily snapshots."""
    rows = DailySnapshot.objects.filter(
        project_id__in=piece.project_ids or (),
        environment=piece.environment,
        day__gte=piece.since,
        day__lt=piece.until,
    ).values_list(
        "project_id",
        "day",
        "deployments",
        "failed_attempts",
        "failed_deployments",
        "rework_deployments",
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def roll_up(days: DayCountRows, intervals: Iterable[str | None]) -> dict[str | None, Grouped]:
    """Day counts summed per bucket of each interval (the whole period for None), with
    `n_days` the number of days with a deployment. One query per slice then serves every bucket
    kind; this runs over every day of every project of a page, so in one pass over lists."""
    intervals = list(dict.fromkeys(intervals))
    totals: dict[str | None, dict[tuple[Key, date | None], list[int]]] = {i: {} for i in intervals}
    starts: dict[tuple[date, str], date] = {}
    for (key, day), row in days.items():
        deployed = 1 if row[0] else 0
        for interval in intervals:
            bucket = None
            if interval is not None:
                bucket = starts.get((day, interval))
                if bucket is None:
                    bucket = starts[(day, interval)] = bucket_start(day, interval)
            total = totals[interval].get((key, bucket))
            if total is None:
                total = totals[interval][(key, bucket)] = [0, 0, 0, 0, 0]
            total[0] += row[0]
            total[1] += row[1]
            total[2] += row[2]
            total[3] += row[3]
            total[4] += deployed
    names = (*COUNTS, "n_days")
    return {
        interval: {group: dict(zip(names, total, strict=True)) for group, total in rows.items()}
        for interval, rows in totals.items()
    }


class DeploymentCounts:
    """Deployment counts of a slice per bucket kind: day counts from the snapshots, except
    marked days and projects computed from the rows, rolled up in Python for every bucket."""

    def __init__(self, piece: Slice, sources: FigureSources):
        self.piece = piece
        self.sources = sources
        stored = sources.stored
        live = [k for k in piece.members() if k not in stored]
        self._live = (
            None
            if not live
            # Only the all-projects slice has the member None, and then live is all members.
            else piece
            if live == piece.members()
            else piece.only(k for k in live if k is not None)
        )
        self._days: DayCountRows | None = None
        self._cache: dict[str | None, Grouped] = {}

    def days(self) -> DayCountRows:
        if self._days is None:
            piece, marked = self.piece, self.sources.marked
            rows: DayCountRows = {}
            if self.sources.stored:
                snapshots = snapshot_deployment_counts(piece.only(self.sources.stored))
                for (project_id, day), row in snapshots.items():
                    if project_id is None or day not in marked.get(project_id, ()):
                        rows[(project_id, day)] = row
            in_period = {
                project_id: {day for day in days if piece.since <= day < piece.until}
                for project_id, days in marked.items()
            }
            in_period = {project_id: days for project_id, days in in_period.items() if days}
            live: Grouped = {}
            if in_period:
                live.update(live_deployment_counts(piece.only(in_period), days=in_period))
            if self._live is not None:
                live.update(live_deployment_counts(self._live))
            for (key, live_day), counts in live.items():
                if live_day is not None:
                    rows[(key, live_day)] = tuple(counts.get(name) or 0 for name in COUNTS)
            self._days = rows
        return self._days

    def get(self, interval: str | None) -> Grouped:
        if interval not in self._cache:
            # What _compute asks for, in one pass.
            self._cache.update(roll_up(self.days(), [None, "week", "month", interval]))
        return self._cache[interval]
