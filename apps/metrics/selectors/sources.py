"""Where each project's figures come from: snapshots when clean, rows around marked days."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Q

from apps.connections.models import Project
from apps.marks.models import DirtyDay
from apps.metrics.models import DailySnapshot
from apps.metrics.selectors.query import Slice

MAX_MARKED_DAYS = 31  # a project with more marked days is counted from the rows entirely
# Several projects as one with more marked days than this are searched from the rows.
MAX_MEMBER_MARKS = 2000


@dataclass(frozen=True)
class MemberMarks:
    """The marked days of the projects of a team or of all projects, each in its own zone: the
    stored lead times serve every change those days do not concern."""

    marked: dict[int, set[date]]
    zones: dict[int, ZoneInfo]


@dataclass(frozen=True)
class FigureSources:
    """Where the figures of each project of a slice come from.

    `clean`: no day up to the period's end is marked: snapshots and stored lead times only.
    `marked`: a few days are marked (a delivery just arrived): the same, except that what the
    marked days concern is computed from the rows. Any other member (its time zone changed,
    many days marked, a service scope, all projects as one) is computed from the rows."""

    clean: frozenset[int] = frozenset()
    marked: dict[int, set[date]] = field(default_factory=dict)
    # Per clean project, what its figures were computed from: its snapshot rows before the
    # period's end and when the latest was built (apps.metrics.selectors.kept_figures). Of
    # several projects as one (key None): the same of every member, when none is marked.
    versions: dict[int | None, str] = field(default_factory=dict)
    # Several projects as one: their marked days (None: too many, search the rows).
    members: MemberMarks | None = None

    @property
    def stored(self) -> set[int]:
        return set(self.clean) | set(self.marked)

    def only(self, ids: set[int]) -> "FigureSources":
        """The sources of some projects of a slice by project."""
        return FigureSources(
            clean=self.clean & ids,
            marked={p: days for p, days in self.marked.items() if p in ids},
            versions={p: v for p, v in self.versions.items() if p in ids},
        )


def figure_sources(piece: Slice) -> FigureSources:
    """Two queries, three when days are marked. Marks before the period count too: a write on
    an earlier day can move a change's first deployment out of the period."""
    if piece.service:
        return FigureSources()
    if piece.project_ids is None or piece.merged:
        return _as_one_sources(piece)
    marks = DirtyDay.objects.filter(
        project_id__in=piece.project_ids, environment=piece.environment, day__lt=piece.until
    ).order_by()
    marked_days = dict(
        marks.values("project_id")
        .annotate(days=Count("day", distinct=True))
        .values_list("project_id", "days")
    )
    built = (
        DailySnapshot.objects.filter(
            project_id__in=piece.project_ids, environment=piece.environment
        )
        .order_by()
        .values("project_id")
        .annotate(
            # A snapshot built in another time zone shifts every day: any such row disqualifies.
            other_zone=Count("pk", filter=~Q(time_zone=str(piece.tz))),
            rows=Count("pk", filter=Q(day__lt=piece.until)),
            last=Max("computed_at", filter=Q(day__lt=piece.until)),
        )
    )
    stale, versions = set(), {}
    for row in built:
        if row["other_zone"]:
            stale.add(row["project_id"])
        versions[row["project_id"]] = _version(row["rows"], row["last"])
    few = [p for p, n in marked_days.items() if n <= MAX_MARKED_DAYS and p not in stale]
    marked: dict[int, set[date]] = {p: set() for p in few}
    if few:
        for project_id, day in marks.filter(project_id__in=few).values_list("project_id", "day"):
            marked[project_id].add(day)
    clean = set(piece.project_ids) - set(marked_days) - stale
    return FigureSources(
        clean=frozenset(clean),
        marked=marked,
        versions={p: versions.get(p, _version(0, None)) for p in clean},
    )


def _version(rows: int, last: datetime | None) -> str:
    """What a project's figures up to a day were computed from: its snapshot rows before that
    day and when the latest was built (every rebuild of one of them changes it)."""
    return f"{rows}:{last.isoformat() if last else '-'}"


def member_marks(piece: Slice) -> MemberMarks | None:
    """For a slice of several projects as one (`merged`, or all projects): the members' marked
    days up to the period's end; None when a member has too many to search them (its time zone
    changed, a full rebuild is under way): then everything is searched from the rows. One
    query, two when days are marked."""
    # A member's local days may end up to a day after the slice's own.
    marks = DirtyDay.objects.filter(
        environment=piece.environment, day__lte=piece.until + timedelta(days=1)
    ).order_by()
    if piece.project_ids is not None:
        marks = marks.filter(project_id__in=piece.project_ids)
    found = list(marks.values_list("project_id", "day").distinct()[: MAX_MEMBER_MARKS + 1])
    if len(found) > MAX_MEMBER_MARKS:
        return None
    marked: dict[int, set[date]] = {}
    for project_id, day in found:
        marked.setdefault(project_id, set()).add(day)
    if any(len(days) > MAX_MARKED_DAYS for days in marked.values()):
        return None
    zones = {
        pk: ZoneInfo(name)
        for pk, name in Project.objects.filter(pk__in=marked).values_list("pk", "time_zone")
    }
    return MemberMarks(marked=marked, zones=zones)


def _as_one_sources(piece: Slice) -> FigureSources:
    """Several projects as one: counts and restore times come from the rows, lead times from
    the stored rows around the members' marked days; kept when no member is marked."""
    members = member_marks(piece)
    if members is None or members.marked:
        return FigureSources(members=members)
    snapshots = DailySnapshot.objects.filter(
        environment=piece.environment, day__lte=piece.until + timedelta(days=1)
    )
    if piece.project_ids is not None:
        snapshots = snapshots.filter(project_id__in=piece.project_ids)
    built = [
        f"{project_id}={_version(rows, last)}"
        for project_id, rows, last in snapshots.order_by("project_id")
        .values_list("project_id")
        .annotate(rows=Count("pk"), last=Max("computed_at"))
    ]
    digest = hashlib.sha256(repr((piece.project_ids, built)).encode()).hexdigest()[:32]
    return FigureSources(members=members, versions={None: digest})
