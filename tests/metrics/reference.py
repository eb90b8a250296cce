"""METRICS.md written as plain Python over plain records: the specification the database
implementation is checked against. Deliberately naive (loops, sorting, the statistics module)
and independent of apps.metrics, so a shared bug cannot hide."""

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR, DAY = 3600.0, 86400.0


@dataclass(frozen=True)
class Deployment:
    external_id: str
    finished_at: datetime
    commits: tuple[str, ...]
    result: str = "SUCCESS"
    environment: str = "PRODUCTION"
    is_rollback: bool = False
    is_hotfix: bool = False
    resolves: tuple[str, ...] = ()
    # A person's mark (linking rule 0): "rollback", "hotfix", "not_rework", or "" for none.
    person_rework: str = ""

    @property
    def commit_sha(self) -> str:
        return self.commits[0]


@dataclass(frozen=True)
class Change:
    sha: str
    start: datetime  # the earliest time known for the change


@dataclass(frozen=True)
class Incident:
    key: str
    created_at: datetime
    resolved_at: datetime | None = None  # as reported by the source
    caused_by: str = ""  # a deployment's external id
    # A person's decision (linking rule 0): None for none, "" for "not caused by a
    # deployment", else the external id of the deployment that caused it.
    person: str | None = None


@dataclass
class History:
    deployments: list[Deployment] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    time_zone: str = "UTC"
    link_window: timedelta = timedelta(days=7)


def percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont, by way of the statistics module."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    if fraction == 0.5:
        return statistics.median(values)
    cut = round(fraction * 100) - 1
    return statistics.quantiles(values, n=100, method="inclusive")[cut]


def buckets(since: date, until: date, interval: str) -> list[date]:
    def start_of(day: date) -> date:
        if interval == "week":
            return day - timedelta(days=day.weekday())
        if interval == "month":
            return day.replace(day=1)
        return day

    starts: list[date] = []
    day = since
    while day < until:
        if start_of(day) not in starts:
            starts.append(start_of(day))
        day += timedelta(days=1)
    return starts


class Reference:
    def __init__(self, history: History):
        self.h = history
        self.tz = ZoneInfo(history.time_zone)
        self.remediated_by = self._remediations()
        self.cause = {i.key: self._cause(i) for i in history.incidents}
        self.resolver = {i.key: self._resolver(i) for i in history.incidents}

    # --- links ------------------------------------------------------------------------------

    def _remediations(self) -> dict[str, set[str]]:
        """external id -> external ids of the later deployments that roll it back or fix it."""
        out: dict[str, set[str]] = {d.external_id: set() for d in self.h.deployments}
        for d in self.h.deployments:
            if d.result != "SUCCESS":
                continue
            earlier = sorted(
                (
                    e
                    for e in self.h.deployments
                    if e.result == "SUCCESS"
                    and e.environment == d.environment
                    and e.finished_at < d.finished_at
                ),
                key=lambda e: (e.finished_at, e.external_id),
                reverse=True,
            )
            fixed: list[Deployment] = []
            if d.person_rework == "not_rework":
                continue  # a person's decision wins over both rules
            shipped_before = [i for i, e in enumerate(earlier) if e.commit_sha == d.commit_sha]
            if shipped_before and shipped_before[0] > 0:
                fixed = earlier[: shipped_before[0]]
            elif d.is_rollback or d.is_hotfix or d.person_rework:
                fixed = earlier[:1]
            for e in fixed:
                out[e.external_id].add(d.external_id)
        return out

    def _cause(self, incident: Incident) -> Deployment | None:
        if incident.person is not None:  # a person's decision wins over every rule
            chosen = [d for d in self.h.deployments if d.external_id == incident.person]
            return chosen[0] if chosen else None
        named = [d for d in self.h.deployments if d.external_id == incident.caused_by]
        if incident.caused_by and named:
            return named[0]
        before = [
            d
            for d in self.h.deployments
            if d.result == "SUCCESS"
            and d.environment == "PRODUCTION"
            and d.finished_at < incident.created_at
            and incident.created_at - d.finished_at <= self.h.link_window
        ]
        return max(before, key=lambda d: (d.finished_at, d.external_id), default=None)

    def _resolver(self, incident: Incident) -> Deployment | None:
        fixing = [
            d
            for d in self.h.deployments
            if d.result == "SUCCESS"
            and d.environment == "PRODUCTION"
            and d.finished_at >= incident.created_at
            and incident.key in d.resolves
        ]
        return min(fixing, key=lambda d: (d.finished_at, d.external_id), default=None)

    def resolved_at(self, incident: Incident) -> datetime | None:
        if incident.resolved_at is not None:
            return incident.resolved_at
        resolver = self.resolver[incident.key]
        return resolver.finished_at if resolver is not None else None

    def failed(self, d: Deployment) -> bool:
        return bool(self.remediated_by[d.external_id]) or any(
            cause is not None and cause.external_id == d.external_id
            for cause in self.cause.values()
        )

    def rework(self, d: Deployment) -> bool:
        remediates = any(d.external_id in fixers for fixers in self.remediated_by.values())
        resolves = any(
            r is not None and r.external_id == d.external_id for r in self.resolver.values()
        )
        if d.person_rework in ("rollback", "hotfix"):
            return True
        if d.person_rework == "not_rework":
            return False
        return d.is_rollback or d.is_hotfix or remediates or resolves

    def environment_of(self, incident: Incident) -> str:
        cause = self.cause[incident.key]
        return cause.environment if cause is not None else "PRODUCTION"

    # --- figures ----------------------------------------------------------------------------

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def bounds(self, since: date, until: date) -> tuple[datetime, datetime]:
        def midnight(day: date) -> datetime:
            return datetime.combine(day, datetime.min.time(), tzinfo=self.tz).astimezone(UTC)

        return midnight(since), midnight(until)

    def figures(
        self, since: date, until: date, environment: str = "PRODUCTION", benchmark: str = "2023"
    ) -> dict:
        start, end = self.bounds(since, until)
        in_period = [
            d
            for d in self.h.deployments
            if d.environment == environment and start <= d.finished_at < end
        ]
        deployed = [d for d in in_period if d.result == "SUCCESS"]
        attempts = [d for d in in_period if d.result in ("FAILURE", "ABORT")]
        days = {self.local_day(d.finished_at) for d in deployed}

        def days_per(interval: str) -> list[int]:
            return [
                len({day for day in days if day in self._bucket_days(b, interval, since, until)})
                for b in buckets(since, until, interval)
            ]

        has_data = bool(deployed or attempts)
        per_week = percentile(days_per("week"), 0.5) if has_data else None
        per_month = percentile(days_per("month"), 0.5) if has_data else None
        month_counts = dict(zip(buckets(since, until, "month"), days_per("month"), strict=True))
        halves: dict[tuple[int, bool], int] = {}
        for month, count in month_counts.items():
            halves[(month.year, month.month > 6)] = (
                halves.get((month.year, month.month > 6), 0) + count
            )
        per_half = percentile(list(halves.values()), 0.5) if has_data else None

        leads, skipped = self.lead_times(start, end, environment)
        failed = [d for d in deployed if self.failed(d)]
        rework = [d for d in deployed if self.rework(d)]
        restore, recovery = self.restore_times(start, end, environment)
        cfr = len(failed) / len(deployed) if deployed else None
        return {
            "deployment_frequency": {
                "deployments": len(deployed),
                "per_day": len(deployed) / (until - since).days if has_data else None,
                "deployment_days": len(days),
                "median_deployment_days_per_week": per_week,
                "failed_attempts": len(attempts),
                "level": df_level(per_week, per_month, per_half, benchmark),
                "median_deployment_days_per_month": per_month,
            },
            "lead_time": {
                "median_seconds": percentile(leads, 0.5),
                "p75_seconds": percentile(leads, 0.75),
                "p90_seconds": percentile(leads, 0.9),
                "changes": len(leads),
                "skipped": skipped,
                "level": lead_level(percentile(leads, 0.5), benchmark),
            },
            "change_failure_rate": {
                "rate": cfr,
                "failed_deployments": len(failed),
                "deployments": len(deployed),
                "level": cfr_level(cfr, benchmark),
            },
            "time_to_restore": {
                "median_seconds": percentile(restore, 0.5),
                "incidents": len(restore),
                "level": restore_level(percentile(restore, 0.5)),
            },
            "failed_deployment_recovery_time": {
                "median_seconds": percentile(recovery, 0.5),
                "incidents": len(recovery),
                "level": restore_level(percentile(recovery, 0.5)),
            },
            "rework_rate": {
                "rate": len(rework) / len(deployed) if deployed else None,
                "rework_deployments": len(rework),
                "deployments": len(deployed),
            },
        }

    def _bucket_days(self, start: date, interval: str, since: date, until: date) -> set[date]:
        out, day = set(), start
        while True:
            out.add(day)
            day += timedelta(days=1)
            if interval == "week" and day.weekday() == 0:
                break
            if interval == "month" and day.day == 1:
                break
            if interval == "day":
                break
        return {d for d in out if since <= d < until}

    def first_deployments(self, environment: str) -> dict[str, datetime]:
        first: dict[str, datetime] = {}
        for d in self.h.deployments:
            if d.result != "SUCCESS" or d.environment != environment:
                continue
            for sha in self.contents(d):
                if sha not in first or d.finished_at < first[sha]:
                    first[sha] = d.finished_at
        return first

    def contents(self, d: Deployment) -> tuple[str, ...]:
        """The listed commits and, for a successful deployment naming only its head, the changes
        started after the previous deployment's head and no later than its own, less those an
        earlier deployment to the environment listed (METRICS.md)."""
        earlier = [
            e
            for e in self.h.deployments
            if e.result == "SUCCESS"
            and e.environment == d.environment
            and e.finished_at < d.finished_at
        ]
        if d.result != "SUCCESS" or len(d.commits) != 1 or not earlier:
            return d.commits
        previous = max(earlier, key=lambda e: (e.finished_at, e.external_id))
        starts = {c.sha: c.start for c in self.h.changes}
        low, high = starts.get(previous.commit_sha), starts.get(d.commit_sha)
        if low is None or high is None or not low < high:
            return d.commits
        listed_before = {sha for e in earlier for sha in e.commits}
        between = [
            c.sha
            for c in self.h.changes
            if low < c.start <= high and c.sha != d.commit_sha and c.sha not in listed_before
        ]
        return d.commits + tuple(between)

    def lead_times(
        self, start: datetime, end: datetime, environment: str
    ) -> tuple[list[float], int]:
        starts = {c.sha: c.start for c in self.h.changes}
        leads, skipped = [], 0
        for sha, deployed_at in self.first_deployments(environment).items():
            if not start <= deployed_at < end:
                continue
            began = starts.get(sha)
            lead = (deployed_at - began).total_seconds() if began is not None else None
            if lead is None or lead <= 0:
                skipped += 1
            else:
                leads.append(lead)
        return leads, skipped

    def restore_times(
        self, start: datetime, end: datetime, environment: str
    ) -> tuple[list[float], list[float]]:
        restore, recovery = [], []
        for incident in self.h.incidents:
            resolved = self.resolved_at(incident)
            if resolved is None or not start <= resolved < end:
                continue
            if self.environment_of(incident) != environment:
                continue
            restore.append((resolved - incident.created_at).total_seconds())
            cause = self.cause[incident.key]
            if cause is not None:
                recovery.append((resolved - cause.finished_at).total_seconds())
        return restore, recovery

    def series(self, since: date, until: date, interval: str, environment: str = "PRODUCTION"):
        points = []
        for b in buckets(since, until, interval):
            days = self._bucket_days(b, interval, since, until)
            lo, hi = self.bounds(min(days), max(days) + timedelta(days=1))
            deployed = [
                d
                for d in self.h.deployments
                if d.environment == environment
                and d.result == "SUCCESS"
                and lo <= d.finished_at < hi
            ]
            attempts = [
                d
                for d in self.h.deployments
                if d.environment == environment
                and d.result in ("FAILURE", "ABORT")
                and lo <= d.finished_at < hi
            ]
            leads, _ = self.lead_times(lo, hi, environment)
            restore, recovery = self.restore_times(lo, hi, environment)
            failed = [d for d in deployed if self.failed(d)]
            rework = [d for d in deployed if self.rework(d)]
            points.append(
                {
                    "start": b,
                    "deployments": len(deployed),
                    "lead_time_median_seconds": percentile(leads, 0.5),
                    "change_failure_rate": len(failed) / len(deployed) if deployed else None,
                    "time_to_restore_median_seconds": percentile(restore, 0.5),
                    "failed_attempts": len(attempts),
                    "failed_deployments": len(failed),
                    "rework_deployments": len(rework),
                    "rework_rate": len(rework) / len(deployed) if deployed else None,
                    "changes": len(leads),
                    "incidents": len(restore),
                    "recovery_median_seconds": percentile(recovery, 0.5),
                    "recovered_incidents": len(recovery),
                }
            )
        return points


# --- levels, straight from the tables of METRICS.md -----------------------------------------


def df_level(per_week, per_month, per_half, benchmark: str) -> str:
    if per_week is None:
        return "no data"
    if benchmark == "2021":
        if per_week >= 5:
            return "elite"
        if per_month >= 1:
            return "high"
        return "medium" if per_half >= 1 else "low"
    if per_week >= 5:
        return "elite"
    if per_week >= 1:
        return "high"
    return "medium" if per_month >= 1 else "low"


def lead_level(median, benchmark: str) -> str:
    if median is None:
        return "no data"
    limits = (HOUR, 7 * DAY, 180 * DAY) if benchmark == "2021" else (DAY, 7 * DAY, 30 * DAY)
    return _first_below(median, limits)


def cfr_level(rate, benchmark: str) -> str:
    if rate is None:
        return "no data"
    limits = (0.15, 0.20, 0.30) if benchmark == "2021" else (0.05, 0.10, 0.15)
    for name, limit in zip(("elite", "high", "medium"), limits, strict=True):
        if rate <= limit:
            return name
    return "low"


def restore_level(median) -> str:
    if median is None:
        return "no data"
    return _first_below(median, (HOUR, DAY, 7 * DAY))


def _first_below(value: float, limits: tuple[float, float, float]) -> str:
    for name, limit in zip(("elite", "high", "medium"), limits, strict=True):
        if value < limit:
            return name
    return "low"
