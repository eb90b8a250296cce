"""Incidents of a slice: restore and recovery times, and counts per local day."""

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from apps.core.aggregates import EpochSeconds, Percentile
from apps.issues.models import Issue
from apps.metrics.selectors.definitions import incident_environment_q
from apps.metrics.selectors.query import Grouped, Slice, aggregate_per_group, bucket_of


def _incidents(piece: Slice, *, on: str) -> QuerySet[Issue]:
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


def restore_times(piece: Slice, interval: str | None) -> Grouped:
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
    return aggregate_per_group(
        queryset,
        by_project=piece.by_project,
        bucket=bucket_of("resolved_at", interval, piece.tz),
        aggregates=aggregates,
    )


def incident_days(piece: Slice, on: str) -> dict[date, int]:
    rows = aggregate_per_group(
        _incidents(piece, on=on),
        by_project=False,
        bucket=TruncDate(on, tzinfo=piece.tz),
        aggregates={"n": Count("pk")},
    )
    return {day: row["n"] for (_, day), row in rows.items() if day is not None}
