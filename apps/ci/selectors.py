"""Reads for CI health: success rate, duration percentiles, and what waits for approval.

Percentiles follow METRICS.md (`percentile_cont`: linear interpolation between the two
closest ranks) and are computed in the database with the metrics app's `Percentile`
aggregate, the same on SQLite and PostgreSQL. One aggregate query counts, one computes the
percentiles.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek

from apps.ci.models import CIStatus, Job, Pipeline
from apps.core.aggregates import Percentile

PERCENTILES: tuple[float, ...] = (0.5, 0.9)
# Durations are those of runs that ran to the end; aborted and skipped runs would make CI
# look faster than it is.
_TIMED = (CIStatus.SUCCESS, CIStatus.FAILURE)

_LATEST = datetime.max.replace(tzinfo=UTC)

Level = Literal["builds", "jobs"]
GroupBy = Literal["repository", "branch"]


def _base(
    *, level: Level, project_id: int, repository: int | None, branch: str | None
) -> QuerySet[Any]:
    model = Pipeline if level == "builds" else Job
    queryset = model.objects.filter(project_id=project_id)
    if repository is not None:
        queryset = queryset.filter(repository_id=repository)
    if branch is not None:
        queryset = queryset.filter(branch=branch)
    return queryset


def _counts(*, since: datetime, until: datetime) -> dict[str, Any]:
    period = Q(finished_at__gte=since, finished_at__lt=until)
    return {
        "succeeded": Count("pk", filter=period & Q(status=CIStatus.SUCCESS)),
        "failed": Count("pk", filter=period & Q(status=CIStatus.FAILURE)),
        "aborted": Count("pk", filter=period & Q(status=CIStatus.ABORTED)),
        "skipped": Count("pk", filter=period & Q(status=CIStatus.SKIPPED)),
        "on_hold": Count("pk", filter=Q(status=CIStatus.ON_HOLD)),
    }


def _figures(counts: dict[str, int], percentiles: dict[float, float | None]) -> dict[str, Any]:
    ran = counts["succeeded"] + counts["failed"]
    return {
        "finished": ran + counts["aborted"] + counts["skipped"],
        "succeeded": counts["succeeded"],
        "failed": counts["failed"],
        "aborted": counts["aborted"],
        "skipped": counts["skipped"],
        # Cancelled and skipped runs say nothing about whether CI passes.
        "success_rate": counts["succeeded"] / ran if ran else None,
        "median_duration_seconds": percentiles.get(0.5),
        "p90_duration_seconds": percentiles.get(0.9),
        "on_hold": counts["on_hold"],
    }


def duration_percentiles(
    queryset: QuerySet[Any],
    *,
    fractions: Sequence[float] = PERCENTILES,
    group: str | None = None,
) -> dict[Any, dict[float, float | None]]:
    """`percentile_cont` of `duration_seconds` per value of `group` (key None when ungrouped),
    with the metrics app's one `Percentile` aggregate: one query whatever the group count."""
    timed = queryset.filter(duration_seconds__isnull=False).order_by()
    aggregates = {
        f"p{index}": Percentile("duration_seconds", fraction=fraction)
        for index, fraction in enumerate(fractions)
    }
    if group is None:
        row = timed.aggregate(**aggregates)
        if all(value is None for value in row.values()):
            return {}
        return {None: {f: row[f"p{i}"] for i, f in enumerate(fractions)}}
    return {
        row[group]: {f: row[f"p{i}"] for i, f in enumerate(fractions)}
        for row in timed.values(group).annotate(**aggregates)
    }


def ci_health(
    *,
    project_id: int,
    since: datetime,
    until: datetime,
    repository: int | None = None,
    branch: str | None = None,
) -> dict[str, Any]:
    """CI health of a project (optionally one repository id and/or branch) over [since, until):
    for builds and for jobs, counts by result, success rate (succeeded / (succeeded + failed)),
    median and p90 duration of runs that ran to the end, and how many wait on hold now."""
    health: dict[str, Any] = {}
    level: Level
    for level in ("builds", "jobs"):
        base = _base(level=level, project_id=project_id, repository=repository, branch=branch)
        counts = base.aggregate(**_counts(since=since, until=until))
        timed = base.filter(finished_at__gte=since, finished_at__lt=until, status__in=_TIMED)
        percentiles = duration_percentiles(timed).get(None, {})
        health[level] = _figures(counts, percentiles)
    return health


def ci_health_breakdown(
    *,
    project_id: int,
    since: datetime,
    until: datetime,
    group_by: GroupBy,
    level: Level = "builds",
) -> list[dict[str, Any]]:
    """The figures of `ci_health` for each repository or branch with activity: one row per
    group, busiest first (a bounded number of queries whatever the number of groups)."""
    base = _base(level=level, project_id=project_id, repository=None, branch=None)
    key = "repository_id" if group_by == "repository" else "branch"
    label = "repository__name" if group_by == "repository" else key
    rows = (
        base.values(*{key, label})
        .annotate(**_counts(since=since, until=until))
        .filter(
            Q(on_hold__gt=0)
            | Q(succeeded__gt=0)
            | Q(failed__gt=0)
            | Q(aborted__gt=0)
            | Q(skipped__gt=0)
        )
        .order_by(key)
    )
    timed = base.filter(finished_at__gte=since, finished_at__lt=until, status__in=_TIMED)
    percentiles = duration_percentiles(timed, group=key)
    result = []
    for row in rows:
        figures = _figures(row, percentiles.get(row[key], {}))
        result.append({group_by: row[key], "label": row[label] or "", **figures})
    result.sort(key=lambda r: (-(r["finished"] + r["on_hold"]), r["label"]))
    return result


@dataclass(frozen=True)
class OnHoldItem:
    kind: Literal["build", "job"]
    id: int
    external_id: str
    name: str
    repository: str
    branch: str
    commit_sha: str
    original_status: str
    since: datetime | None
    connection: str


def on_hold(
    *, project_id: int, repository: int | None = None, branch: str | None = None
) -> list[OnHoldItem]:
    """Builds and jobs waiting now for approval (or paused), longest waiting first."""
    items: list[OnHoldItem] = []
    level: Level
    for level in ("builds", "jobs"):
        base = _base(level=level, project_id=project_id, repository=repository, branch=branch)
        waiting = base.filter(status=CIStatus.ON_HOLD).select_related("repository", "connection")
        for row in waiting:
            items.append(
                OnHoldItem(
                    kind="build" if level == "builds" else "job",
                    id=row.pk,
                    external_id=row.external_id,
                    name=str(row),
                    repository=row.repository.name if row.repository else "",
                    branch=row.branch,
                    commit_sha=row.commit_sha,
                    original_status=row.original_status,
                    since=row.status_at or row.status_changed_at,
                    connection=row.connection.name,
                )
            )
    items.sort(key=lambda item: item.since or _LATEST)
    return items


def duration_trend(
    *, project_id: int, since: datetime, until: datetime, tz: Any, level: Level = "builds"
) -> list[dict[str, Any]]:
    """Median duration and runs per week (Monday, in `tz`) of runs that ran to the end."""
    base = _base(level=level, project_id=project_id, repository=None, branch=None)
    rows = (
        base.filter(finished_at__gte=since, finished_at__lt=until, status__in=_TIMED)
        .annotate(week=TruncWeek("finished_at", tzinfo=tz))
        .values("week")
        .annotate(
            runs=Count("pk"),
            median=Percentile("duration_seconds", fraction=0.5),
            succeeded=Count("pk", filter=Q(status=CIStatus.SUCCESS)),
        )
        .order_by("week")
    )
    return [
        {
            "week": row["week"].date() if hasattr(row["week"], "date") else row["week"],
            "runs": row["runs"],
            "median_duration_seconds": row["median"],
            "success_rate": row["succeeded"] / row["runs"] if row["runs"] else None,
        }
        for row in rows
    ]
