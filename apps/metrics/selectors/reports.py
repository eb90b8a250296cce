"""Reads of METRICS.md: every figure of a scope, aggregated by the database.

Counts per day come from the daily snapshots when every day of the period is clean (no
DirtyDay mark, built in the project's current time zone) and from the rows otherwise, so a
figure is never older than the data. Medians and percentiles cannot be added up across days and
are always computed from the rows, with `Percentile` (percentile_cont on every database).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings

from apps.connections.models import Project
from apps.core.aggregates import percentile_cont
from apps.core.snapshot_reads import reads_one_snapshot
from apps.metrics import levels
from apps.metrics.selectors import kept_figures
from apps.metrics.selectors.deployments import DeploymentCounts, live_deployment_counts
from apps.metrics.selectors.incidents import incident_days, restore_times
from apps.metrics.selectors.lead_times import LeadTimeFigures
from apps.metrics.selectors.periods import PRODUCTION, Scope, bucket_starts
from apps.metrics.selectors.query import Grouped, Key, Row, Slice, scope_slice
from apps.metrics.selectors.results import (
    ChangeFailureRate,
    DayCounts,
    DeploymentFrequency,
    DoraReport,
    Figures,
    LeadTime,
    ProjectFigures,
    RestoreTime,
    ReworkRate,
    SeriesPoint,
)
from apps.metrics.selectors.sources import FigureSources, figure_sources


@reads_one_snapshot
def dora_report(*, scope: Scope, interval: str | None = "week", benchmark: str = "") -> DoraReport:
    """Every figure of METRICS.md for `scope`, plus one series point per bucket (none when
    `interval` is None). A team's scope is its projects' rows as one project's."""
    benchmark = benchmark or settings.DORAHUB_BENCHMARK
    piece = scope_slice(scope)
    computed = _compute(piece, benchmark=benchmark, interval=interval)
    key = scope.project.pk if scope.project is not None else None
    figures, series = computed.figures[key], computed.series.get(key, [])
    return DoraReport(
        scope=scope,
        benchmark=benchmark,
        interval=interval,
        source="snapshots" if key in computed.from_snapshots else "live",
        figures=figures,
        series=series,
    )


@reads_one_snapshot
def dora_by_project(
    *,
    projects: Sequence[Project],
    since: date,
    until: date,
    environment: str = PRODUCTION,
    service: str = "",
    benchmark: str = "",
    interval: str | None = None,
) -> list[ProjectFigures]:
    """The headline figures of every project, each over its own local days [since, until),
    with a series point per `interval` bucket when one is given.

    Projects sharing a time zone share the queries, so the count of queries grows with the
    number of distinct time zones, not with the number of projects."""
    benchmark = benchmark or settings.DORAHUB_BENCHMARK
    by_tz: dict[str, list[Project]] = {}
    for project in projects:
        by_tz.setdefault(project.time_zone, []).append(project)
    results: dict[int, ProjectFigures] = {}
    for members in by_tz.values():
        piece = Slice(
            project_ids=tuple(p.pk for p in members),
            tz=members[0].tz,
            since=since,
            until=until,
            environment=environment,
            service=service,
        )
        computed = _compute(piece, benchmark=benchmark, interval=interval)
        for project in members:
            results[project.pk] = ProjectFigures(
                project=project,
                since=since,
                until=until,
                source="snapshots" if project.pk in computed.from_snapshots else "live",
                figures=computed.figures[project.pk],
                series=computed.series.get(project.pk, []),
            )
    return [results[p.pk] for p in projects]


def day_counts(
    *, project: Project, environment: str, days: Iterable[date]
) -> dict[date, DayCounts]:
    """What the snapshot rows of `days` must hold, counted from the rows (for the rebuild)."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    piece = Slice(
        project_ids=(project.pk,),
        tz=project.tz,
        since=wanted[0],
        until=wanted[-1] + timedelta(days=1),
        environment=environment,
    )
    deployments = live_deployment_counts(piece)
    opened = incident_days(piece, "created_at")
    resolved = incident_days(piece, "resolved_at")
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


@dataclass
class _Computed:
    figures: dict[Key, Figures] = field(default_factory=dict)
    series: dict[Key, list[SeriesPoint]] = field(default_factory=dict)
    from_snapshots: set[int] = field(default_factory=set)


def _compute(piece: Slice, *, benchmark: str, interval: str | None) -> _Computed:
    """The figures of every member of `piece`: kept ones from the cache, the others computed
    (and kept when the project is clean)."""
    sources = figure_sources(piece)
    kept = kept_figures.read(piece, sources, benchmark=benchmark, interval=interval)
    rest = [k for k in piece.members() if k not in kept]
    if not rest:
        result = _Computed(from_snapshots=set(sources.clean))
    elif not kept:
        result = _compute_rows(piece, sources, benchmark=benchmark, interval=interval)
    else:  # some projects of a slice by project
        ids = {k for k in rest if k is not None}
        result = _compute_rows(
            piece.only(ids), sources.only(ids), benchmark=benchmark, interval=interval
        )
    new = {k: (result.figures[k], result.series.get(k, [])) for k in sources.versions if k in rest}
    kept_figures.keep(piece, sources, new, benchmark=benchmark, interval=interval)
    for key, (figures, series) in kept.items():
        result.figures[key] = figures
        if interval is not None:
            result.series[key] = series
        if key is not None:
            result.from_snapshots.add(key)
    return result


def _compute_rows(
    piece: Slice, sources: FigureSources, *, benchmark: str, interval: str | None
) -> _Computed:
    counts = DeploymentCounts(piece, sources)
    leads = LeadTimeFigures(piece, sources)
    totals = counts.get(None)
    weeks, months = counts.get("week"), counts.get("month")
    lead = leads.get(None)
    restore = restore_times(piece, None)
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
        series_restore = restore_times(piece, interval)
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
        n_days: int = (rows.get((key, start)) or {}).get("n_days", 0)
        return n_days

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
            median_deployment_days_per_month=deployment_days.per_month,
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
        failed_attempts=deploy.get("n_failed_attempts") or 0,
        failed_deployments=deploy.get("n_failed") or 0,
        rework_deployments=deploy.get("n_rework") or 0,
        rework_rate=_ratio(deploy.get("n_rework") or 0, deployments),
        changes=lead.get("changes") or 0,
        incidents=restore.get("incidents") or 0,
        recovery_median_seconds=restore.get("recovery_median"),
        recovered_incidents=restore.get("linked") or 0,
    )
