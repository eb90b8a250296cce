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
from django.db import connection
from django.db.models import (
    Count,
    DateField,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Trunc, TruncDate

from apps.connections.models import Project
from apps.core.time import utc_day_bounds
from apps.deployments.models import Deployment, DeploymentCommit, DeploymentResult
from apps.issues.models import Issue
from apps.metrics import levels
from apps.metrics.aggregates import SQLITE_PERCENTILE, EpochSeconds, Percentile, percentile_cont
from apps.metrics.models import ChangeLeadTime, DailySnapshot, DirtyDay

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
    deployments = _live_deployment_counts(piece)
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
            run_start = following
    return condition


def _on_marked_days(
    project_field: str, field: str, marked: dict[int, set[date]], tz: ZoneInfo
) -> Q:
    condition = Q()
    for project_id, days in marked.items():
        condition |= Q(**{project_field: project_id}) & within_local_days(field, days, tz)
    return condition


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


COUNTS = ("n_deployments", "n_failed_attempts", "n_failed", "n_rework")


def _live_deployment_counts(piece: _Slice, days: dict[int, set[date]] | None = None) -> Grouped:
    """Counts per (project, local day), from the rows; only of `days` when given."""
    queryset = _deployments(piece)
    if days is not None:
        queryset = queryset.filter(_on_marked_days("project_id", "finished_at", days, piece.tz))
    aggregates = {
        "n_deployments": Count("pk", filter=SUCCESS),
        "n_failed_attempts": Count("pk", filter=Q(result__in=FAILED_ATTEMPT_RESULTS)),
        "n_failed": Count("pk", filter=SUCCESS & failed_deployment_q()),
        "n_rework": Count("pk", filter=SUCCESS & rework_deployment_q()),
    }
    return _group(
        queryset,
        by_project=piece.by_project,
        bucket=_trunc("finished_at", "day", piece.tz),
        aggregates=aggregates,
    )


DayCountRows = dict[tuple[Key, date], tuple[int, ...]]  # (project, day) -> COUNTS


def _snapshot_deployment_counts(piece: _Slice) -> DayCountRows:
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


def _roll_up(days: DayCountRows, intervals: Iterable[str | None]) -> dict[str | None, Grouped]:
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


MAX_MARKED_DAYS = 31  # a project with more marked days is counted from the rows entirely


@dataclass(frozen=True)
class _Sources:
    """Where the figures of each project of a slice come from.

    `clean`: no day up to the period's end is marked: snapshots and stored lead times only.
    `marked`: a few days are marked (a delivery just arrived): the same, except that what the
    marked days concern is computed from the rows. Any other member (its time zone changed,
    many days marked, a service scope, all projects as one) is computed from the rows."""

    clean: frozenset[int] = frozenset()
    marked: dict[int, set[date]] = field(default_factory=dict)

    @property
    def stored(self) -> set[int]:
        return set(self.clean) | set(self.marked)


def _sources(piece: _Slice) -> _Sources:
    """Two queries, three when days are marked. Marks before the period count too: a write on
    an earlier day can move a change's first deployment out of the period."""
    if piece.project_ids is None or piece.service:
        return _Sources()
    marks = DirtyDay.objects.filter(
        project_id__in=piece.project_ids, environment=piece.environment, day__lt=piece.until
    ).order_by()
    marked_days = dict(
        marks.values("project_id")
        .annotate(days=Count("day", distinct=True))
        .values_list("project_id", "days")
    )
    # A snapshot built in another time zone shifts every day: any such row disqualifies.
    stale = set(
        DailySnapshot.objects.filter(
            project_id__in=piece.project_ids, environment=piece.environment
        )
        .exclude(time_zone=str(piece.tz))
        .order_by()
        .values_list("project_id", flat=True)
        .distinct()
    )
    few = [p for p, n in marked_days.items() if n <= MAX_MARKED_DAYS and p not in stale]
    marked: dict[int, set[date]] = {p: set() for p in few}
    if few:
        for project_id, day in marks.filter(project_id__in=few).values_list("project_id", "day"):
            marked[project_id].add(day)
    clean = set(piece.project_ids) - set(marked_days) - stale
    return _Sources(clean=frozenset(clean), marked=marked)


class _DeploymentCounts:
    """Deployment counts of a slice per bucket kind: day counts from the snapshots, except
    marked days and projects computed from the rows, rolled up in Python for every bucket."""

    def __init__(self, piece: _Slice, sources: _Sources):
        self.piece = piece
        self.sources = sources
        stored = sources.stored
        live = [k for k in piece.members() if k not in stored]
        self._live = None if not live else (piece if live == piece.members() else piece.only(live))
        self._days: DayCountRows | None = None
        self._cache: dict[str | None, Grouped] = {}

    def days(self) -> DayCountRows:
        if self._days is None:
            piece, marked = self.piece, self.sources.marked
            rows: DayCountRows = {}
            if self.sources.stored:
                snapshots = _snapshot_deployment_counts(piece.only(self.sources.stored))
                for (project_id, day), row in snapshots.items():
                    if day not in marked.get(project_id, ()):
                        rows[(project_id, day)] = row
            in_period = {
                project_id: {day for day in days if piece.since <= day < piece.until}
                for project_id, days in marked.items()
            }
            in_period = {project_id: days for project_id, days in in_period.items() if days}
            live: Grouped = {}
            if in_period:
                live.update(_live_deployment_counts(piece.only(in_period), days=in_period))
            if self._live is not None:
                live.update(_live_deployment_counts(self._live))
            for (key, day), row in live.items():
                if day is not None:
                    rows[(key, day)] = tuple(row.get(name) or 0 for name in COUNTS)
            self._days = rows
        return self._days

    def get(self, interval: str | None) -> Grouped:
        if interval not in self._cache:
            # What _compute asks for, in one pass.
            self._cache.update(_roll_up(self.days(), [None, "week", "month", interval]))
        return self._cache[interval]


# --- changes and incidents -----------------------------------------------------------------


def _first_shipments(piece: _Slice) -> QuerySet[DeploymentCommit]:
    """One row per change whose first successful deployment to the environment lies in the
    period: its shipment in the period with no earlier one (the lower deployment id breaks a
    tie), with its lead time in seconds (NULL when the start is unknown).

    Driven by the deployments of the period, so the cost follows the period's shipments, not
    every change the projects ever had."""
    successful = Q(
        deployment__result=DeploymentResult.SUCCESS, deployment__environment=piece.environment
    )
    if piece.service:
        successful &= Q(deployment__service=piece.service)
    earlier = DeploymentCommit.objects.filter(
        successful,
        Q(deployment__finished_at__lt=OuterRef("deployment__finished_at"))
        | Q(
            deployment__finished_at=OuterRef("deployment__finished_at"),
            deployment_id__lt=OuterRef("deployment_id"),
        ),
        commit_id=OuterRef("commit_id"),
    )
    queryset = DeploymentCommit.objects.filter(
        successful,
        deployment__finished_at__gte=piece.start,
        deployment__finished_at__lt=piece.end,
    )
    if piece.project_ids is not None:
        queryset = queryset.filter(deployment__project_id__in=piece.project_ids)
    return queryset.filter(~Exists(earlier)).annotate(
        project_id=F("deployment__project_id"),
        shipped_at=F("deployment__finished_at"),
        lead=EpochSeconds("deployment__finished_at") - EpochSeconds("commit__start_at"),
    )


def _stored_lead_times(piece: _Slice) -> QuerySet[ChangeLeadTime]:
    """The same rows as `_first_shipments`, as the snapshot rebuild stored them."""
    return ChangeLeadTime.objects.filter(
        project_id__in=piece.project_ids,
        environment=piece.environment,
        first_deployed_at__gte=piece.start,
        first_deployed_at__lt=piece.end,
    ).annotate(shipped_at=F("first_deployed_at"), lead=F("lead_seconds"))


LEAD_FIGURES = ("changes", "skipped", "median", "p75", "p90")
# Counting `shipped_at` (never NULL), not the primary key, lets the stored rows be read from
# their covering index alone.
LEAD_AGGREGATES = {
    "changes": Count("shipped_at", filter=Q(lead__gt=0)),
    "skipped": Count("shipped_at", filter=Q(lead__lte=0) | Q(lead__isnull=True)),
    "median": Percentile("lead", fraction=0.5, filter=Q(lead__gt=0)),
    "p75": Percentile("lead", fraction=0.75, filter=Q(lead__gt=0)),
    "p90": Percentile("lead", fraction=0.9, filter=Q(lead__gt=0)),
}


class _LeadTimes:
    """Lead time figures per (project, bucket). Clean projects: aggregated over the stored
    rows. Projects with marked days: over the stored rows of the changes no marked day
    concerns together with the others searched from the deployments. Other projects: searched
    from the deployments."""

    def __init__(self, piece: _Slice, sources: _Sources):
        self.piece = piece
        self.sources = sources
        live = [k for k in piece.members() if k not in sources.stored]
        self._live = None if not live else (piece if live == piece.members() else piece.only(live))

    def get(self, interval: str | None) -> Grouped:
        piece = self.piece
        rows: Grouped = {}
        if self.sources.clean:
            rows.update(
                _group(
                    _stored_lead_times(piece.only(self.sources.clean)),
                    by_project=True,
                    bucket=_trunc("first_deployed_at", interval, piece.tz),
                    aggregates=LEAD_AGGREGATES,
                )
            )
        if self.sources.marked:
            rows.update(self._marked(interval))
        if self._live is not None:
            rows.update(
                _group(
                    _first_shipments(self._live),
                    by_project=self._live.by_project,
                    bucket=_trunc("deployment__finished_at", interval, piece.tz),
                    aggregates=LEAD_AGGREGATES,
                )
            )
        return rows

    def _marked(self, interval: str | None) -> Grouped:
        piece = self.piece.only(self.sources.marked)
        marked, tz = self.sources.marked, piece.tz
        shipped = DeploymentCommit.objects.filter(
            _on_marked_days("deployment__project_id", "deployment__finished_at", marked, tz),
            deployment__result=DeploymentResult.SUCCESS,
            deployment__environment=piece.environment,
        ).values("commit_id")
        first_on = ChangeLeadTime.objects.filter(
            _on_marked_days("project_id", "first_deployed_at", marked, tz),
            environment=piece.environment,
        ).values("commit_id")
        # One IN (... UNION ...): with two OR'ed IN lists PostgreSQL scans every shipment.
        concerned = shipped.union(first_on)
        stored = _stored_lead_times(piece).exclude(commit_id__in=concerned)
        searched = _first_shipments(piece).filter(commit_id__in=concerned)
        return _union_lead_figures(
            [
                (stored, _trunc("first_deployed_at", interval, tz)),
                (searched, _trunc("deployment__finished_at", interval, tz)),
            ]
        )


def _union_lead_figures(parts: list[tuple[QuerySet, Expression | None]]) -> Grouped:
    """LEAD_AGGREGATES per (project, bucket) over the rows of several querysets, in one query:
    percentiles of two sources cannot be combined afterwards, and Django cannot aggregate over
    a UNION, so the union's aggregate is written here."""
    selects, params = [], []
    for queryset, bucket in parts:
        sql, part_params = (
            queryset.annotate(
                u_project=F("project_id"),
                u_bucket=bucket if bucket is not None else Value(None, output_field=DateField()),
                u_lead=F("lead"),
            )
            .order_by()
            .values_list("u_project", "u_bucket", "u_lead")
            .query.sql_with_params()
        )
        # Django's own SQL of each part, its values still parameters.
        selects.append(f"SELECT * FROM ({sql}) AS part{len(selects)}")  # noqa: S608
        params.extend(part_params)
    counted = "FILTER (WHERE u_lead > 0)"
    if connection.vendor == "postgresql":
        percentile = "percentile_cont({}) WITHIN GROUP (ORDER BY u_lead) " + counted
    else:
        percentile = f"{SQLITE_PERCENTILE}(u_lead, {{}}) {counted}"
    # Constants and the parts above only.
    sql = (
        f"SELECT u_project, u_bucket, COUNT(*) {counted}, "  # noqa: S608
        "COUNT(*) FILTER (WHERE u_lead <= 0 OR u_lead IS NULL), "
        f"{percentile.format(0.5)}, {percentile.format(0.75)}, {percentile.format(0.9)} "
        f"FROM ({' UNION ALL '.join(selects)}) AS leads GROUP BY u_project, u_bucket"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out: Grouped = {}
    for project_id, bucket, *figures in rows:
        # Django converts its Trunc results in Python: a raw query gets a timestamp from
        # PostgreSQL and text from SQLite.
        if isinstance(bucket, datetime):
            bucket = bucket.date()
        elif isinstance(bucket, str):
            bucket = date.fromisoformat(bucket[:10])
        out[(project_id, bucket)] = dict(zip(LEAD_FIGURES, figures, strict=True))
    return out


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
    sources = _sources(piece)
    counts = _DeploymentCounts(piece, sources)
    leads = _LeadTimes(piece, sources)
    totals = counts.get(None)
    weeks, months = counts.get("week"), counts.get("month")
    lead = leads.get(None)
    restore = _restore_times(piece, None)
    result = _Computed(from_snapshots=set(sources.clean))
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
        series_lead = leads.get(interval)
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
