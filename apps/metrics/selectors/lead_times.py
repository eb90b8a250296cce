"""Lead time for changes: each change's first successful deployment, searched from the rows or
read from the stored lead times, and their percentiles per (project, bucket)."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, DateField, Expression, F, IntegerField, Q, QuerySet, Value

from apps.core.aggregates import SQLITE_PERCENTILE, EpochSeconds, Percentile
from apps.deployments.models import DeploymentCommit
from apps.deployments.selectors import first_shipments, shipments
from apps.metrics.models import ChangeLeadTime
from apps.metrics.selectors.query import (
    Grouped,
    Slice,
    aggregate_per_group,
    bucket_of,
    on_marked_days,
)
from apps.metrics.selectors.sources import FigureSources, MemberMarks


def shipped_first_in(piece: Slice) -> QuerySet[DeploymentCommit]:
    """One row per change whose first deployment to the environment (the one definition:
    apps.deployments.selectors.first_shipments) lies in the period, with its lead time in
    seconds (NULL when the start is unknown).

    Driven by the deployments of the period, so the cost follows the period's shipments, not
    every change the projects ever had."""
    queryset = first_shipments(environment=piece.environment, service=piece.service).filter(
        deployment__finished_at__gte=piece.start,
        deployment__finished_at__lt=piece.end,
    )
    if piece.project_ids is not None:
        queryset = queryset.filter(deployment__project_id__in=piece.project_ids)
    return queryset.annotate(
        project_id=F("deployment__project_id"),
        shipped_at=F("deployment__finished_at"),
        lead=EpochSeconds("deployment__finished_at") - EpochSeconds("commit__start_at"),
    )


def stored_lead_times(piece: Slice) -> QuerySet[ChangeLeadTime]:
    """The same rows as `shipped_first_in`, as the snapshot rebuild stored them."""
    stored = ChangeLeadTime.objects.filter(
        environment=piece.environment,
        first_deployed_at__gte=piece.start,
        first_deployed_at__lt=piece.end,
    )
    if piece.project_ids is not None:
        stored = stored.filter(project_id__in=piece.project_ids)
    return stored.annotate(shipped_at=F("first_deployed_at"), lead=F("lead_seconds"))


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


class LeadTimeFigures:
    """Lead time figures per (project, bucket). Clean projects: aggregated over the stored
    rows. Projects with marked days: over the stored rows of the changes no marked day
    concerns together with the others searched from the deployments. Other projects: searched
    from the deployments."""

    def __init__(self, piece: Slice, sources: FigureSources):
        self.piece = piece
        self.sources = sources
        # Several projects as one (a team, all projects): their stored rows, and the rows
        # around their marked days, serve every member at once.
        self._members = sources.members
        live = [k for k in piece.members() if k not in sources.stored]
        self._live = (
            None
            if not live or self._members is not None
            # Only the all-projects slice has the member None, and then live is all members.
            else piece
            if live == piece.members()
            else piece.only(k for k in live if k is not None)
        )

    def get(self, interval: str | None) -> Grouped:
        piece = self.piece
        if self._members is not None:
            return self._as_one(interval, self._members)
        rows: Grouped = {}
        if self.sources.clean:
            rows.update(
                aggregate_per_group(
                    stored_lead_times(piece.only(self.sources.clean)),
                    by_project=True,
                    bucket=bucket_of("first_deployed_at", interval, piece.tz),
                    aggregates=LEAD_AGGREGATES,
                )
            )
        if self.sources.marked:
            rows.update(self._marked(interval))
        if self._live is not None:
            rows.update(
                aggregate_per_group(
                    shipped_first_in(self._live),
                    by_project=self._live.by_project,
                    bucket=bucket_of("deployment__finished_at", interval, piece.tz),
                    aggregates=LEAD_AGGREGATES,
                )
            )
        return rows

    def _marked(self, interval: str | None) -> Grouped:
        piece = self.piece.only(self.sources.marked)
        return _stored_around(piece, self.sources.marked, {}, interval, by_project=True)

    def _as_one(self, interval: str | None, members: MemberMarks) -> Grouped:
        piece = self.piece
        if not members.marked:
            return aggregate_per_group(
                stored_lead_times(piece),
                by_project=False,
                bucket=bucket_of("first_deployed_at", interval, piece.tz),
                aggregates=LEAD_AGGREGATES,
            )
        return _stored_around(piece, members.marked, members.zones, interval, by_project=False)


def _stored_around(
    piece: Slice,
    marked: dict[int, set[date]],
    zones: dict[int, ZoneInfo],
    interval: str | None,
    *,
    by_project: bool,
) -> Grouped:
    """Lead time figures over the stored rows of the changes no marked day concerns, together
    with the others searched from the deployments."""
    tz = piece.tz
    shipped = (
        shipments(environment=piece.environment)
        .filter(
            on_marked_days("deployment__project_id", "deployment__finished_at", marked, tz, zones)
        )
        .values("commit_id")
    )
    first_on = ChangeLeadTime.objects.filter(
        on_marked_days("project_id", "first_deployed_at", marked, tz, zones),
        environment=piece.environment,
    ).values("commit_id")
    # One IN (... UNION ...): with two OR'ed IN lists PostgreSQL scans every shipment.
    concerned = shipped.union(first_on)
    stored = stored_lead_times(piece).exclude(commit_id__in=concerned)
    searched = shipped_first_in(piece).filter(commit_id__in=concerned)
    return _union_lead_figures(
        [
            (stored, bucket_of("first_deployed_at", interval, tz)),
            (searched, bucket_of("deployment__finished_at", interval, tz)),
        ],
        by_project=by_project,
    )


def _union_lead_figures(
    parts: list[tuple[QuerySet[Any], Expression | None]], *, by_project: bool
) -> Grouped:
    """LEAD_AGGREGATES per (project, bucket) over the rows of several querysets, in one query:
    percentiles of two sources cannot be combined afterwards, and Django cannot aggregate over
    a UNION, so the union's aggregate is written here."""
    selects: list[str] = []
    params: list[Any] = []
    for queryset, bucket in parts:
        try:
            sql, part_params = (
                queryset.annotate(
                    u_project=F("project_id")
                    if by_project
                    else Value(None, output_field=IntegerField()),
                    u_bucket=bucket
                    if bucket is not None
                    else Value(None, output_field=DateField()),
                    u_lead=F("lead"),
                )
                .order_by()
                .values_list("u_project", "u_bucket", "u_lead")
                .query.sql_with_params()
            )
        except EmptyResultSet:
            # A part that can match nothing (its marks emptied by a concurrent rebuild):
            # Django refuses to write its SQL; it adds no rows.
            continue
        # Django's own SQL of each part, its values still parameters.
        selects.append(f"SELECT * FROM ({sql}) AS part{len(selects)}")  # noqa: S608
        params.extend(part_params)
    if not selects:
        return {}
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
    for project_id, raw_bucket, *figures in rows:
        # Django converts its Trunc results in Python: a raw query gets a timestamp from
        # PostgreSQL and text from SQLite.
        day = raw_bucket
        if isinstance(raw_bucket, datetime):
            day = raw_bucket.date()
        elif isinstance(raw_bucket, str):
            day = date.fromisoformat(raw_bucket[:10])
        out[(project_id, day)] = dict(zip(LEAD_FIGURES, figures, strict=True))
    return out
