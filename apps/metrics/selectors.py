"""Reads of METRICS.md: every figure of a scope, aggregated by the database.

Counts per day come from the daily snapshots when every day of the period is clean (no
DirtyDay mark, built in the project's current time zone) and from the rows otherwise, so a
figure is never older than the data. Medians and percentiles cannot be added up across days and
are always computed from the rows, with `Percentile` (percentile_cont on every database).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    Exists,
    Expression,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Trunc, TruncDate

from apps.connections.models import Project
from apps.core.time import utc_day_bounds
from apps.deployments.models import Commit, Deployment, DeploymentCommit, DeploymentResult
from apps.issues.models import Issue
from apps.metrics import levels
from apps.metrics.aggregates import EpochSeconds, Percentile, percentile_cont
from apps.metrics.models import DailySnapshot, DirtyDay

INTERVALS = ("day", "week", "month")
DEFAULT_PERIOD_DAYS = 90
PRODUCTION = "PRODUCTION"
FAILED_ATTEMPT_RESULTS = (DeploymentResult.FAILURE, DeploymentResult.ABORT)
SUCCESS = Q(result=DeploymentResult.SUCCESS)

Key = int | None  # a project id, or None for all projects together


# --- scope and buckets ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One project (or all), one environment, optionally one service, and the project-local
    calendar days [since, until)."""

    project: Project | None
    since: date
    until: date
    environment: str = PRODUCTION
    service: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return self.project.tz if self.project is not None else ZoneInfo("UTC")


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


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentFrequency:
    deployments: int
    per_day: float | None
    deployment_days: int
    median_deployment_days_per_week: float | None
    failed_attempts: int
    level: str


@dataclass(frozen=True)
class LeadTime:
    median_seconds: float | None
    p75_seconds: float | None
    p90_seconds: float | None
    changes: int
    skipped: int
    level: str


@dataclass(frozen=True)
class ChangeFailureRate:
    rate: float | None
    failed_deployments: int
    deployments: int
    level: str


@dataclass(frozen=True)
class RestoreTime:
    median_seconds: float | None
    incidents: int
    level: str


@dataclass(frozen=True)
class ReworkRate:
    rate: float | None
    rework_deployments: int
    deployments: int


@dataclass(frozen=True)
class Figures:
    deployment_frequency: DeploymentFrequency
    lead_time: LeadTime
    change_failure_rate: ChangeFailureRate
    time_to_restore: RestoreTime
    failed_deployment_recovery_time: RestoreTime
    rework_rate: ReworkRate


@dataclass(frozen=True)
class SeriesPoint:
    start: date
    deployments: int
    lead_time_median_seconds: float | None
    change_failure_rate: float | None
    time_to_restore_median_seconds: float | None


@dataclass(frozen=True)
class DoraReport:
    scope: Scope
    benchmark: str
    interval: str
    source: str  # "snapshots" or "live": where the deployment counts came from
    figures: Figures
    series: list[SeriesPoint]


@dataclass(frozen=True)
class ProjectFigures:
    project: Project
    since: date
    until: date
    source: str
    figures: Figures


@dataclass(frozen=True)
class DayCounts:
    """What a DailySnapshot row holds."""

    deployments: int = 0
    failed_attempts: int = 0
    failed_deployments: int = 0
    rework_deployments: int = 0
    incidents_opened: int = 0
    incidents_resolved: int = 0

    def is_empty(self) -> bool:
        return not any(vars(self).values())


# --- public selectors ----------------------------------------------------------------------


def dora_report(*, scope: Scope, interval: str = "week", benchmark: str = "") -> DoraReport:
    """Every figure of METRICS.md for `scope`, plus one series point per bucket."""
    benchmark = benchmark or settings.DORAHUB_BENCHMARK
    ids = (scope.project.pk,) if scope.project is not None else None
    piece = _Slice(
        project_ids=ids,
        tz=scope.tz,
        since=scope.since,
        until=scope.until,
        environment=scope.environment,
        service=scope.service,
    )
    computed = _compute(piece, benchmark=benchmark, interval=interval)
    key = scope.project.pk if scope.project is not None else None
    figures, series = computed.figures[key], computed.series[key]
    return DoraReport(
        scope=scope,
        benchmark=benchmark,
        interval=interval,
        source="snapshots" if key in computed.from_snapshots else "live",
        figures=figures,
        series=series,
    )


def dora_by_project(
    *,
    projects: Sequence[Project],
    since: date,
    until: date,
    environment: str = PRODUCTION,
    service: str = "",
    benchmark: str = "",
) -> list[ProjectFigures]:
    """The headline figures of every project, each over its own local days [since, until).

    Projects sharing a time zone share the queries, so the count of queries grows with the
    number of distinct time zones, not with the number of projects."""
    benchmark = benchmark or settings.DORAHUB_BENCHMARK
    by_tz: dict[str, list[Project]] = {}
    for project in projects:
        by_tz.setdefault(project.time_zone, []).append(project)
    results: dict[int, ProjectFigures] = {}
    for members in by_tz.values():
        piece = _Slice(
            project_ids=tuple(p.pk for p in members),
            tz=members[0].tz,
            since=since,
            until=until,
            environment=environment,
            service=service,
        )
        computed = _compute(piece, benchmark=benchmark, interval=None)
        for project in members:
            results[project.pk] = ProjectFigures(
                project=project,
                since=since,
                until=until,
                source="snapshots" if project.pk in computed.from_snapshots else "live",
                figures=computed.figures[project.pk],
            )
    return [results[p.pk] for p in projects]


def day_counts(
    *, project: Project, environment: str, days: Iterable[date]
) -> dict[date, DayCounts]:
    """What the snapshot rows of `days` must hold, counted from the rows (for the rebuild)."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    piece = _Slice(
        project_ids=(project.pk,),
        tz=project.tz,
        since=wanted[0],
        until=wanted[-1] + timedelta(days=1),
        environment=environment,
    )
    deployments = _live_deployment_counts(piece, "day")
    opened = _incident_days(piece, "created_at")
    resolved = _incident_days(piece, "resolved_at")
    out = {}
    for day in wanted:
        row = deployments.get((project.pk, day), {})
        out[day] = DayCounts(
            deployments=row.get("n_deployments", 0),
            failed_attempts=row.get("n_failed_attempts", 0),
            failed_deployments=row.get("n_failed", 0),
            rework_deployments=row.get("n_rework", 0),
            incidents_opened=opened.get(day, 0),
            incidents_resolved=resolved.get(day, 0),
        )
    return out


# --- shared query pieces -------------------------------------------------------------------


def failed_deployment_q() -> Q:
    """A deployment failed: an incident is linked to it, or a later one remediates it."""
    remediations = Deployment.remediates.through.objects.filter(to_deployment=OuterRef("pk"))
    incidents = Issue.objects.filter(deployment=OuterRef("pk"), is_incident=True)
    return Q(Exists(incidents)) | Q(Exists(remediations))


def rework_deployment_q() -> Q:
    """An unplanned fix: hotfix or rollback, remediating a deployment, or resolving an incident."""
    remediates = Deployment.remediates.through.objects.filter(from_deployment=OuterRef("pk"))
    resolves = Issue.objects.filter(resolved_by=OuterRef("pk"), is_incident=True)
    return Q(is_rollback=True) | Q(is_hotfix=True) | Q(Exists(remediates)) | Q(Exists(resolves))


def incident_environment_q(environment: str) -> Q:
    """An incident belongs to its linked deployment's environment; unlinked ones to production."""
    q = Q(deployment__environment=environment)
    if environment == PRODUCTION:
        q |= Q(deployment__isnull=True)
    return q


@dataclass(frozen=True)
class _Slice:
    project_ids: tuple[int, ...] | None  # None: all projects as one
    tz: ZoneInfo
    since: date
    until: date
    environment: str = PRODUCTION
    service: str = ""

    @property
    def start(self) -> datetime:
        return utc_day_bounds(self.since, self.tz)[0]

    @property
    def end(self) -> datetime:
        return utc_day_bounds(self.until, self.tz)[0]

    @property
    def by_project(self) -> bool:
        return self.project_ids is not None

    def members(self) -> list[Key]:
        return list(self.project_ids) if self.project_ids is not None else [None]

    def only(self, ids: Iterable[int]) -> "_Slice":
        return _Slice(
            project_ids=tuple(ids),
            tz=self.tz,
            since=self.since,
            until=self.until,
            environment=self.environment,
            service=self.service,
        )


Row = dict[str, Any]
Grouped = dict[tuple[Key, date | None], Row]


def _group(
    queryset: QuerySet, *, by_project: bool, bucket: Expression | None, aggregates: dict
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


def _trunc(expression: Any, interval: str | None, tz: ZoneInfo) -> Expression | None:
    if interval is None:
        return None
    return Trunc(expression, interval, output_field=DateField(), tzinfo=tz)


# --- deployments ---------------------------------------------------------------------------


def _deployments(piece: _Slice) -> QuerySet[Deployment]:
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


def _live_deployment_counts(piece: _Slice, interval: str | None) -> Grouped:
    aggregates = {
        "n_deployments": Count("pk", filter=SUCCESS),
        "n_failed_attempts": Count("pk", filter=Q(result__in=FAILED_ATTEMPT_RESULTS)),
        "n_failed": Count("pk", filter=SUCCESS & failed_deployment_q()),
        "n_rework": Count("pk", filter=SUCCESS & rework_deployment_q()),
        "n_days": Count(TruncDate("finished_at", tzinfo=piece.tz), distinct=True, filter=SUCCESS),
    }
    return _group(
        _deployments(piece),
        by_project=piece.by_project,
        bucket=_trunc("finished_at", interval, piece.tz),
        aggregates=aggregates,
    )


def _snapshot_deployment_counts(piece: _Slice, interval: str | None) -> Grouped:
    queryset = DailySnapshot.objects.filter(
        project_id__in=piece.project_ids or (),
        environment=piece.environment,
        day__gte=piece.since,
        day__lt=piece.until,
    )
    aggregates = {
        "n_deployments": Sum("deployments", default=0),
        "n_failed_attempts": Sum("failed_attempts", default=0),
        "n_failed": Sum("failed_deployments", default=0),
        "n_rework": Sum("rework_deployments", default=0),
        "n_days": Count("day", distinct=True, filter=Q(deployments__gt=0)),
    }
    bucket = None if interval is None else Trunc("day", interval, output_field=DateField())
    return _group(queryset, by_project=True, bucket=bucket, aggregates=aggregates)


def _snapshot_ready(piece: _Slice) -> set[int]:
    """Projects whose snapshots cover every day of the period (two queries)."""
    if piece.project_ids is None or piece.service:
        return set()
    days = {
        "project_id__in": piece.project_ids,
        "environment": piece.environment,
        "day__gte": piece.since,
        "day__lt": piece.until,
    }
    dirty = DirtyDay.objects.filter(**days).values_list("project_id", flat=True).distinct()
    # A snapshot built in another time zone shifts every day: any such row disqualifies.
    stale = (
        DailySnapshot.objects.filter(
            project_id__in=piece.project_ids, environment=piece.environment
        )
        .exclude(time_zone=str(piece.tz))
        .values_list("project_id", flat=True)
        .distinct()
    )
    return set(piece.project_ids) - set(dirty) - set(stale)


class _DeploymentCounts:
    """Deployment counts of a slice per bucket kind, from snapshots where they are complete."""

    def __init__(self, piece: _Slice):
        self.piece = piece
        self.from_snapshots = _snapshot_ready(piece)
        live = [k for k in piece.members() if k not in self.from_snapshots]
        self._live = None if not live else (piece if live == piece.members() else piece.only(live))
        self._cache: dict[str | None, Grouped] = {}

    def get(self, interval: str | None) -> Grouped:
        if interval not in self._cache:
            rows: Grouped = {}
            if self.from_snapshots:
                rows.update(
                    _snapshot_deployment_counts(self.piece.only(self.from_snapshots), interval)
                )
            if self._live is not None:
                rows.update(_live_deployment_counts(self._live, interval))
            self._cache[interval] = rows
        return self._cache[interval]


# --- changes and incidents -----------------------------------------------------------------


def _changes(piece: _Slice) -> QuerySet:
    """Changes whose first successful deployment to the environment lies in the period, with
    their lead time in seconds (NULL when the start is unknown)."""
    shipped = DeploymentCommit.objects.filter(
        commit_id=OuterRef("pk"),
        deployment__result=DeploymentResult.SUCCESS,
        deployment__environment=piece.environment,
        deployment__finished_at__isnull=False,
    )
    if piece.service:
        shipped = shipped.filter(deployment__service=piece.service)
    first_deployed = Subquery(
        shipped.order_by("deployment__finished_at").values("deployment__finished_at")[:1],
        output_field=DateTimeField(),
    )
    in_period = shipped.filter(
        deployment__finished_at__gte=piece.start, deployment__finished_at__lt=piece.end
    )
    queryset = Commit.objects.filter(Exists(in_period))
    if piece.project_ids is not None:
        queryset = queryset.filter(project_id__in=piece.project_ids)
    return (
        queryset.annotate(first_deployed_at=first_deployed)
        .filter(first_deployed_at__gte=piece.start, first_deployed_at__lt=piece.end)
        .annotate(lead=EpochSeconds("first_deployed_at") - EpochSeconds("start_at"))
    )


def _lead_times(piece: _Slice, interval: str | None) -> Grouped:
    counted = Q(lead__gt=0)
    aggregates = {
        "changes": Count("pk", filter=counted),
        "skipped": Count("pk", filter=Q(lead__lte=0) | Q(lead__isnull=True)),
        "median": Percentile("lead", fraction=0.5, filter=counted),
        "p75": Percentile("lead", fraction=0.75, filter=counted),
        "p90": Percentile("lead", fraction=0.9, filter=counted),
    }
    return _group(
        _changes(piece),
        by_project=piece.by_project,
        bucket=_trunc("first_deployed_at", interval, piece.tz),
        aggregates=aggregates,
    )


def _incidents(piece: _Slice, *, on: str) -> QuerySet[Issue]:
    queryset = Issue.objects.filter(
        incident_environment_q(piece.environment),
        is_incident=True,
        **{f"{on}__gte": piece.start, f"{on}__lt": piece.end},
    )
    if piece.project_ids is not None:
        queryset = queryset.filter(project_id__in=piece.project_ids)
    if piece.service:
        queryset = queryset.filter(Q(service=piece.service) | Q(deployment__service=piece.service))
    return queryset


def _restore_times(piece: _Slice, interval: str | None) -> Grouped:
    queryset = _incidents(piece, on="resolved_at").annotate(
        restore=EpochSeconds("resolved_at") - EpochSeconds("created_at"),
        recovery=EpochSeconds("resolved_at") - EpochSeconds("deployment__finished_at"),
    )
    aggregates = {
        "incidents": Count("pk"),
        "restore_median": Percentile("restore", fraction=0.5),
        "linked": Count("pk", filter=Q(recovery__isnull=False)),
        "recovery_median": Percentile("recovery", fraction=0.5),
    }
    return _group(
        queryset,
        by_project=piece.by_project,
        bucket=_trunc("resolved_at", interval, piece.tz),
        aggregates=aggregates,
    )


def _incident_days(piece: _Slice, on: str) -> dict[date, int]:
    rows = _group(
        _incidents(piece, on=on),
        by_project=False,
        bucket=TruncDate(on, tzinfo=piece.tz),
        aggregates={"n": Count("pk")},
    )
    return {day: row["n"] for (_, day), row in rows.items() if day is not None}


# --- assembly ------------------------------------------------------------------------------


@dataclass
class _Computed:
    figures: dict[Key, Figures] = field(default_factory=dict)
    series: dict[Key, list[SeriesPoint]] = field(default_factory=dict)
    from_snapshots: set[int] = field(default_factory=set)


def _compute(piece: _Slice, *, benchmark: str, interval: str | None) -> _Computed:
    counts = _DeploymentCounts(piece)
    totals = counts.get(None)
    weeks, months = counts.get("week"), counts.get("month")
    lead = _lead_times(piece, None)
    restore = _restore_times(piece, None)
    result = _Computed(from_snapshots=counts.from_snapshots)
    week_starts = bucket_starts(piece.since, piece.until, "week")
    month_starts = bucket_starts(piece.since, piece.until, "month")
    for key in piece.members():
        deploy = totals.get((key, None)) or {}
        result.figures[key] = _figures(
            deploy=deploy,
            lead=lead.get((key, None)) or {},
            restore=restore.get((key, None)) or {},
            days_in_period=(piece.until - piece.since).days,
            deployment_days=_deployment_day_medians(key, weeks, months, week_starts, month_starts),
            benchmark=benchmark,
        )
    if interval is not None:
        series_counts = counts.get(interval)
        series_lead = _lead_times(piece, interval)
        series_restore = _restore_times(piece, interval)
        starts = bucket_starts(piece.since, piece.until, interval)
        for key in piece.members():
            result.series[key] = [
                _series_point(
                    start,
                    series_counts.get((key, start)) or {},
                    series_lead.get((key, start)) or {},
                    series_restore.get((key, start)) or {},
                )
                for start in starts
            ]
    return result


def _deployment_day_medians(
    key: Key,
    weeks: Grouped,
    months: Grouped,
    week_starts: list[date],
    month_starts: list[date],
) -> levels.DeploymentDays:
    """Median deployment days per week, month and half-year; empty buckets count as zero."""

    def days(rows: Grouped, start: date) -> int:
        return (rows.get((key, start)) or {}).get("n_days", 0)

    per_month = [days(months, start) for start in month_starts]
    halves: dict[tuple[int, int], int] = {}
    for start, count in zip(month_starts, per_month, strict=True):
        half = (start.year, 0 if start.month <= 6 else 1)
        halves[half] = halves.get(half, 0) + count
    return levels.DeploymentDays(
        per_week=percentile_cont([days(weeks, start) for start in week_starts], 0.5),
        per_month=percentile_cont(per_month, 0.5),
        per_half_year=percentile_cont(list(halves.values()), 0.5),
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _figures(
    *,
    deploy: Row,
    lead: Row,
    restore: Row,
    days_in_period: int,
    deployment_days: levels.DeploymentDays,
    benchmark: str,
) -> Figures:
    deployments = deploy.get("n_deployments") or 0
    failed_attempts = deploy.get("n_failed_attempts") or 0
    failed = deploy.get("n_failed") or 0
    rework = deploy.get("n_rework") or 0
    has_deploy_data = bool(deployments or failed_attempts)
    if not has_deploy_data:
        deployment_days = levels.DeploymentDays(None, None, None)
    changes = lead.get("changes") or 0
    lead_median = lead.get("median") if changes else None
    cfr = _ratio(failed, deployments)
    restore_median = restore.get("restore_median")
    recovery_median = restore.get("recovery_median")
    return Figures(
        deployment_frequency=DeploymentFrequency(
            deployments=deployments,
            per_day=deployments / days_in_period if has_deploy_data else None,
            deployment_days=deploy.get("n_days") or 0,
            median_deployment_days_per_week=deployment_days.per_week,
            failed_attempts=failed_attempts,
            level=levels.deployment_frequency(deployment_days, benchmark=benchmark),
        ),
        lead_time=LeadTime(
            median_seconds=lead_median,
            p75_seconds=lead.get("p75") if changes else None,
            p90_seconds=lead.get("p90") if changes else None,
            changes=changes,
            skipped=lead.get("skipped") or 0,
            level=levels.lead_time(lead_median, benchmark=benchmark),
        ),
        change_failure_rate=ChangeFailureRate(
            rate=cfr,
            failed_deployments=failed,
            deployments=deployments,
            level=levels.change_failure_rate(cfr, benchmark=benchmark),
        ),
        time_to_restore=RestoreTime(
            median_seconds=restore_median,
            incidents=restore.get("incidents") or 0,
            level=levels.restore_time(restore_median, benchmark=benchmark),
        ),
        failed_deployment_recovery_time=RestoreTime(
            median_seconds=recovery_median,
            incidents=restore.get("linked") or 0,
            level=levels.restore_time(recovery_median, benchmark=benchmark),
        ),
        rework_rate=ReworkRate(
            rate=_ratio(rework, deployments),
            rework_deployments=rework,
            deployments=deployments,
        ),
    )


def _series_point(start: date, deploy: Row, lead: Row, restore: Row) -> SeriesPoint:
    deployments = deploy.get("n_deployments") or 0
    return SeriesPoint(
        start=start,
        deployments=deployments,
        lead_time_median_seconds=lead.get("median") if lead.get("changes") else None,
        change_failure_rate=_ratio(deploy.get("n_failed") or 0, deployments),
        time_to_restore_median_seconds=restore.get("restore_median"),
    )
