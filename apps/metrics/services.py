"""Writes of the metrics app: the daily snapshots and lead-time rows, rebuilt from the rows
of the days marked dirty (apps.marks)."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import TruncDate

from apps.connections.models import Project
from apps.deployments.models import Deployment
from apps.deployments.selectors import first_shipments, shipments
from apps.issues.models import Issue
from apps.marks.models import DirtyDay
from apps.marks.services import mark_dirty_days
from apps.metrics.models import ChangeLeadTime, DailySnapshot
from apps.metrics.selectors.definitions import incident_environment_q
from apps.metrics.selectors.periods import PRODUCTION
from apps.metrics.selectors.query import within_local_days
from apps.metrics.selectors.reports import day_counts

RECOMPUTE_BATCH = 2000
LEAD_CHUNK = 1000  # ids per IN list: well below SQLite's variable limit


def rebuild_days(*, project: Project, environment: str, days: Iterable[date]) -> int:
    """Rebuild the snapshot rows of `days` from the data, and the lead times of the changes
    first deployed on them; days with nothing to count lose their row. Returns the number of
    snapshot rows written."""
    days = set(days)
    rebuild_lead_times(project=project, environment=environment, days=days)
    counts = day_counts(project=project, environment=environment, days=days)
    if not counts:
        return 0
    tz_name = project.time_zone
    rows = [
        DailySnapshot(
            project=project,
            environment=environment,
            day=day,
            time_zone=tz_name,
            **vars(day_count),
        )
        for day, day_count in counts.items()
        if not day_count.is_empty()
    ]
    empty = [day for day, day_count in counts.items() if day_count.is_empty()]
    with transaction.atomic():
        if empty:
            DailySnapshot.objects.filter(
                project=project, environment=environment, day__in=empty
            ).delete()
        DailySnapshot.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["project", "environment", "day"],
            update_fields=[
                "time_zone",
                "computed_at",
                "deployments",
                "failed_attempts",
                "failed_deployments",
                "rework_deployments",
                "incidents_opened",
                "incidents_resolved",
            ],
        )
    return len(rows)


def rebuild_lead_times(*, project: Project, environment: str, days: Iterable[date]) -> int:
    """Decide again the first successful deployment to `environment` of every change whose
    first deployment `days` may have moved: the changes they shipped, and the changes whose
    stored first deployment lies on them (since deleted, failed or moved). Returns the number
    of rows written.

    Every write that can move a first deployment or a change's start marks such a day, so
    the rows are exact once no day is marked."""
    days = set(days)
    if not days:
        return 0
    tz = project.tz
    stored = ChangeLeadTime.objects.filter(
        within_local_days("first_deployed_at", days, tz),
        project=project,
        environment=environment,
    )
    candidates = set(stored.values_list("commit_id", flat=True))
    candidates.update(
        shipments(environment=environment)
        .filter(within_local_days("deployment__finished_at", days, tz), deployment__project=project)
        .values_list("commit_id", flat=True)
    )
    ids = sorted(candidates)
    first: dict[int, tuple[datetime, datetime | None]] = {}
    for start in range(0, len(ids), LEAD_CHUNK):
        firsts = first_shipments(environment=environment).filter(
            commit_id__in=ids[start : start + LEAD_CHUNK]
        )
        for commit_id, finished_at, start_at in firsts.values_list(
            "commit_id", "deployment__finished_at", "commit__start_at"
        ):
            assert finished_at is not None  # shipments are finished deployments
            first[commit_id] = (finished_at, start_at)
    gone = sorted(candidates - set(first))
    with transaction.atomic():
        for start in range(0, len(gone), LEAD_CHUNK):
            ChangeLeadTime.objects.filter(
                environment=environment, commit_id__in=gone[start : start + LEAD_CHUNK]
            ).delete()
        ChangeLeadTime.objects.bulk_create(
            [
                ChangeLeadTime(
                    project=project,
                    environment=environment,
                    commit_id=commit_id,
                    first_deployed_at=finished_at,
                    lead_seconds=None
                    if start_at is None
                    else (finished_at - start_at).total_seconds(),
                )
                for commit_id, (finished_at, start_at) in first.items()
            ],
            update_conflicts=True,
            unique_fields=["commit", "environment"],
            update_fields=["project", "first_deployed_at", "lead_seconds"],
            batch_size=LEAD_CHUNK,
        )
    return len(first)


def recompute_dirty(*, batch: int = RECOMPUTE_BATCH, max_batches: int = 50) -> int:
    """Rebuild the snapshots of every marked day and delete the marks read; returns the number
    of days rebuilt."""
    done = 0
    for _ in range(max_batches):
        # In scope order, so a batch covers runs of consecutive days of few projects: each
        # (project, environment) of it is then counted over a short range of days.
        marks = list(
            DirtyDay.objects.order_by("project_id", "environment", "day", "pk").values_list(
                "pk", "project_id", "environment", "day"
            )[:batch]
        )
        if not marks:
            break
        done += rebuild_marked(marks=marks)
    return done


def rebuild_marked(*, marks: list[tuple[int, int, str, date]]) -> int:
    """Rebuild the days of `marks` (pk, project id, environment, day), then delete exactly
    those marks: one added while the rebuild ran stays for the next run."""
    groups: dict[tuple[int, str], set[date]] = {}
    for _, project_id, environment, day in marks:
        groups.setdefault((project_id, environment), set()).add(day)
    projects = Project.objects.in_bulk([project_id for project_id, _ in groups])
    for (project_id, environment), days in groups.items():
        project = projects.get(project_id)
        if project is not None:
            rebuild_days(project=project, environment=environment, days=days)
    pks = [pk for pk, *_ in marks]
    for start in range(0, len(pks), 500):
        DirtyDay.objects.filter(pk__in=pks[start : start + 500]).delete()
    return sum(len(days) for days in groups.values())


def mark_project(*, project: Project) -> int:
    """Mark every day of `project` that has data (or a stale snapshot) for a full rebuild."""
    tz = project.tz
    marked = 0
    deployment_days = (
        Deployment.objects.filter(project=project, finished_at__isnull=False)
        .annotate(day=TruncDate("finished_at", tzinfo=tz))
        .order_by()
        .values_list("environment", "day")
        .distinct()
    )
    by_environment: dict[str, set[date]] = {}
    for environment, day in deployment_days:
        by_environment.setdefault(environment, set()).add(day)
    for environment, day in (
        DailySnapshot.objects.filter(project=project).values_list("environment", "day").distinct()
    ):
        by_environment.setdefault(environment, set()).add(day)
    environments = set(by_environment) | {PRODUCTION}
    for environment in environments:
        incidents = Issue.objects.filter(
            incident_environment_q(environment), project=project, is_incident=True
        )
        for field in ("created_at", "resolved_at"):
            local_days = (
                incidents.filter(**{f"{field}__isnull": False})
                .annotate(day=TruncDate(field, tzinfo=tz))
                .order_by()
                .values_list("day", flat=True)
                .distinct()
            )
            by_environment.setdefault(environment, set()).update(local_days)
    for environment, days in by_environment.items():
        mark_dirty_days(project_id=project.pk, environment=environment, days=days)
        marked += len(days)
    return marked


def mark_recent_days(*, now: datetime | None = None) -> int:
    """Mark yesterday and today (project-local) of every project and environment with data."""
    now = now or datetime.now(UTC)
    pairs = set(Deployment.objects.order_by().values_list("project_id", "environment").distinct())
    pairs |= {
        (project_id, PRODUCTION)
        for project_id in Issue.objects.filter(is_incident=True)
        .order_by()
        .values_list("project_id", flat=True)
        .distinct()
    }
    projects = Project.objects.in_bulk({project_id for project_id, _ in pairs})
    for project_id, environment in pairs:
        today = now.astimezone(projects[project_id].tz).date()
        mark_dirty_days(
            project_id=project_id, environment=environment, days=[today - timedelta(days=1), today]
        )
    return len(pairs)


def mark_stale_time_zones() -> list[int]:
    """Projects whose snapshots were built in another time zone: mark them for a full rebuild."""
    stale = list(
        DailySnapshot.objects.filter(~Q(time_zone=F("project__time_zone")))
        .order_by()
        .values_list("project_id", flat=True)
        .distinct()
    )
    for project in Project.objects.filter(pk__in=stale):
        mark_project(project=project)
    return stale
