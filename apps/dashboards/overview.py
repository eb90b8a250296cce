"""The overview a manager opens first: teams, the organisation total and every project, each
figure a link to its rows, sortable by any metric or level, with a sparkline per figure and the
incidents open now. Projects with nothing in the period are collapsed into one line."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.connections.models import Project
from apps.dashboards.figures import OVERVIEW_COLUMNS, Figure, build_figures, legend
from apps.dashboards.formatting import count, human_duration
from apps.dashboards.subjects import ORGANISATION, PROJECT, TEAM, PageScope, Subject
from apps.metrics import levels
from apps.metrics.selectors import Figures, SeriesPoint, dora_by_project, dora_report, figure_rows
from apps.teams.selectors import teams_with_projects

LEVEL_RANK = {levels.ELITE: 0, levels.HIGH: 1, levels.MEDIUM: 2, levels.LOW: 3}
COLUMN_LABELS = {
    "deployment_frequency": "Deploy frequency",
    "lead_time": "Lead time",
    "change_failure_rate": "Change failure rate",
    "time_to_restore": "Time to restore",
    "recovery_time": "Recovery time",
    "rework_rate": "Rework rate",
}
SPARK_VALUES = {
    "deployment_frequency": lambda p: p.deployments,
    "lead_time": lambda p: p.lead_time_median_seconds,
    "change_failure_rate": lambda p: p.change_failure_rate,
    "time_to_restore": lambda p: p.time_to_restore_median_seconds,
    "recovery_time": lambda p: p.recovery_median_seconds,
    "rework_rate": lambda p: p.rework_rate,
}
SPARK_WIDTH, SPARK_HEIGHT = 80.0, 18.0


@dataclass
class OpenIncidents:
    count: int = 0
    oldest: datetime | None = None
    href: str = ""

    @property
    def age(self) -> str:
        if self.oldest is None:
            return ""
        return human_duration((timezone.now() - self.oldest).total_seconds())


@dataclass
class Row:
    kind: str
    name: str
    href: str
    cells: list[tuple[Figure, list[str]]]  # a figure and its sparkline's polylines
    opened: OpenIncidents
    has_data: bool
    members: str = ""
    figures: dict[str, Figure] = field(default_factory=dict)


def sparkline(points: list[SeriesPoint], metric: str) -> list[str]:
    """The `points` of each polyline (a gap where a bucket has no value), scaled into the
    sparkline's box; written here, since a template localising 700 numbers a page is slow."""
    values = [SPARK_VALUES[metric](p) for p in points]
    known = [v for v in values if v is not None]
    if len(points) < 2 or not known:
        return []
    top = max(known) or 1.0
    step = SPARK_WIDTH / (len(points) - 1)
    lines: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if lines[-1]:
                lines.append([])
            continue
        y = SPARK_HEIGHT - (value / top) * (SPARK_HEIGHT - 2) - 1
        lines[-1].append((round(index * step, 1), round(y, 1)))
    return [" ".join(f"{x},{y}" for x, y in line) for line in lines if line]


def _has_data(figures: Figures) -> bool:
    df = figures.deployment_frequency
    return bool(df.deployments or df.failed_attempts or figures.time_to_restore.incidents)


def _row(
    page: PageScope,
    subject: Subject,
    figures: Figures,
    previous: Figures | None,
    series: list[SeriesPoint],
    opened: OpenIncidents,
    *,
    benchmark: str,
    members: str = "",
) -> Row:
    scoped = page.for_subject(subject)
    built = build_figures(
        figures, previous, link=scoped.link, benchmark=benchmark, environment=page.environment
    )
    opened.href = scoped.link("incidents", figure="open_incidents")
    return Row(
        kind=subject.kind,
        name=subject.name,
        href=scoped.link("dashboard"),
        cells=[(built[m], sparkline(series, m)) for m in OVERVIEW_COLUMNS],
        opened=opened,
        has_data=_has_data(figures),
        members=members,
        figures=built,
    )


def _sort_key(metric: str, by_level: bool) -> Any:
    def key(row: Row) -> tuple[int, float]:
        figure = row.figures[metric]
        if by_level:
            rank = LEVEL_RANK.get(figure.level or "")
            return (1, 0.0) if rank is None else (0, float(rank))
        return (1, 0.0) if figure.value is None else (0, float(figure.value))

    return key


def _sorted(rows: list[Row], sort: str, descending: bool) -> list[Row]:
    metric, _, how = sort.partition(":")
    if metric not in OVERVIEW_COLUMNS:
        return rows
    key = _sort_key(metric, by_level=how == "level")
    known = [r for r in rows if key(r)[0] == 0]
    unknown = [r for r in rows if key(r)[0] == 1]
    return sorted(known, key=key, reverse=descending) + unknown  # no data always last


HIGHER_IS_BETTER = {"deployment_frequency"}


def _worst_first(sort: str) -> bool:
    """Whether sorting by `sort` puts the worst first when descending."""
    metric, _, how = sort.partition(":")
    if how == "level":
        return True  # ranks: elite 0 ... low 3
    return metric not in HIGHER_IS_BETTER


def overview_context(*, page: PageScope, sort: str, order: str) -> dict[str, Any]:
    """`order`: asc, desc, or best (first); by default the worst rows come first."""
    if order in ("asc", "desc"):
        descending = order == "desc"
    else:
        descending = _worst_first(sort) != (order == "best")
    benchmark = settings.DORAHUB_BENCHMARK
    before = page.period.previous()
    projects = list(Project.objects.order_by("name"))
    common = {"environment": page.environment, "service": page.service, "benchmark": benchmark}
    now = dora_by_project(
        projects=projects,
        since=page.period.since,
        until=page.period.until,
        interval="week",
        **common,
    )
    then = dora_by_project(projects=projects, since=before.since, until=before.until, **common)
    opened = figure_rows.open_incidents_by_project(
        project_ids=[p.pk for p in projects], environment=page.environment
    )

    def open_of(ids: list[int]) -> OpenIncidents:
        found = [opened[i] for i in ids if i in opened]
        oldest = min((row["oldest"] for row in found), default=None)
        return OpenIncidents(count=sum(row["count"] for row in found), oldest=oldest)

    project_rows = [
        _row(
            page,
            Subject(kind=PROJECT, slug=p.project.slug, name=p.project.name, project=p.project),
            p.figures,
            q.figures,
            p.series,
            open_of([p.project.pk]),
            benchmark=benchmark,
        )
        for p, q in zip(now, then, strict=True)
    ]
    team_rows = []
    for team in teams_with_projects():
        members = tuple(team.projects.all())
        subject = Subject(kind=TEAM, slug=team.slug, name=team.name, projects=members)
        scoped = page.for_subject(subject)
        report = dora_report(scope=scoped.scope, interval="week", benchmark=benchmark)
        previous = dora_report(scope=scoped.previous_scope(), interval=None, benchmark=benchmark)
        team_rows.append(
            _row(
                page,
                subject,
                report.figures,
                previous.figures,
                report.series,
                open_of([p.pk for p in members]),
                benchmark=benchmark,
                members=", ".join(p.name for p in members) or "no projects yet",
            )
        )
    organisation = Subject(kind=ORGANISATION, slug="", name="Organisation total")
    org_page = page.for_subject(organisation)
    org_report = dora_report(scope=org_page.scope, interval="week", benchmark=benchmark)
    org_previous = dora_report(scope=org_page.previous_scope(), interval=None, benchmark=benchmark)
    total = _row(
        page,
        organisation,
        org_report.figures,
        org_previous.figures,
        org_report.series,
        open_of([p.pk for p in projects]),
        benchmark=benchmark,
    )
    with_data = [row for row in project_rows if row.has_data]
    empty = [row for row in project_rows if not row.has_data]
    return {
        "page_scope": page,
        "form": page.form,
        "period": page.period,
        "columns": [(m, COLUMN_LABELS[m]) for m in OVERVIEW_COLUMNS],
        "team_rows": _sorted(team_rows, sort, descending),
        "project_rows": _sorted(with_data, sort, descending),
        "empty_rows": empty,
        "empty_text": count(len(empty), "project"),
        "total": total,
        "sort": sort,
        "descending": descending,
        "sort_next": {m: _next_order(sort, descending, m) for m in OVERVIEW_COLUMNS},
        "sort_next_level": {
            m: _next_order(sort, descending, f"{m}:level") for m in OVERVIEW_COLUMNS
        },
        "legend": legend(benchmark),
        "benchmark": benchmark,
        "has_projects": bool(projects),
        "services": [],
    }


def _next_order(sort: str, descending: bool, target: str) -> str:
    """The order a click on `target`'s header asks for: worst first, then the reverse."""
    worst = "desc" if _worst_first(target) else "asc"
    if sort != target:
        return worst
    current = "desc" if descending else "asc"
    return "asc" if current == "desc" else "desc"
