"""Metrics at scale: the metrics API over 1,000,000 deployments, each beside its floor.

    .venv/bin/python bench/metrics_scale.py [--reuse] [--keep] [--runs 15] [--rederive]

Loads bench/scale_data.py's history into PostgreSQL (`dorahub_scale`, COPY, about two minutes;
`--reuse` keeps an earlier load), rebuilds the daily snapshots, then times through the real URLs
(Django test client, production settings, a logged-in staff user):

* the 90-day report of one project   GET /api/v1/metrics/dora?project=team-03
* the 365-day weekly series of it    GET /api/v1/metrics/dora?project=team-03&since=..&interval=week
* the all-projects comparison        GET /api/v1/metrics/dora/projects

each beside ONE hand-written SQL query computing the same headline numbers from the rows
(bench/floors.py), whose answers must agree with the API's. Both states a project is in are
timed: "snapshots" (every day rebuilt) and "live" (a delivery just arrived: today is marked
dirty, so counts come from the rows). Prints p50/p95 over --runs and the ratio to the floor;
writes bench/results/metrics_scale.json. `--profile` prints each request's queries with their
times; `--rederive` also times `recompute_metrics --all`, which decides every link again.
The database is dropped at the end unless --keep.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import floors
import scale_data

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "team-03"  # a Europe/Berlin project: local days are not UTC days


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
        "runs": len(samples),
    }


def timed(fn, runs: int, warmup: int = 2) -> tuple[list[float], Any]:
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - began)
    return samples, result


def memory_mb(pid: int | str = "self") -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM) of a process, in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = dict(line.split(":", 1) for line in status.splitlines() if line.startswith("Vm"))
    return {
        "rss_mb": round(int(values["VmRSS"].split()[0]) / 1024, 1),
        "peak_mb": round(int(values["VmHWM"].split()[0]) / 1024, 1),
    }


# Production keeps figures in Redis; a database of its own, emptied by each measurement.
BENCH_CACHE = "redis://127.0.0.1:6379/13"


def setup_django(cache_url: str = "") -> None:
    """Django on the scale database; `cache_url`, a Redis URL, is the cache kept figures live
    in, as in production (none: the process's own memory)."""
    os.environ.update(scale_data.app_env(**({"REDIS_URL": cache_url} if cache_url else {})))
    import django

    django.setup()


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-3)
    return a == b


def headline(body: dict) -> dict[str, Any]:
    return {
        "deployments": body["deployment_frequency"]["deployments"],
        "failed_attempts": body["deployment_frequency"]["failed_attempts"],
        "deployment_days": body["deployment_frequency"]["deployment_days"],
        "median_days_per_week": body["deployment_frequency"]["median_deployment_days_per_week"],
        "failed_deployments": body["change_failure_rate"]["failed_deployments"],
        "rework_deployments": body["rework_rate"]["rework_deployments"],
        "changes": body["lead_time"]["changes"],
        "skipped": body["lead_time"]["skipped"],
        "lead_median": body["lead_time"]["median_seconds"],
        "lead_p75": body["lead_time"]["p75_seconds"],
        "lead_p90": body["lead_time"]["p90_seconds"],
        "incidents": body["time_to_restore"]["incidents"],
        "restore_median": body["time_to_restore"]["median_seconds"],
        "linked_incidents": body["failed_deployment_recovery_time"]["incidents"],
        "recovery_median": body["failed_deployment_recovery_time"]["median_seconds"],
    }


def disagreements(api: dict[str, Any], floor: dict[str, Any], label: str) -> list[str]:
    return [
        f"{label} {name}: API {value!r} != floor {floor[name]!r}"
        for name, value in api.items()
        if not close(value, floor[name])
    ]


def series_disagreements(body: dict, rows: list[dict]) -> list[str]:
    weeks = {row["week"]: row for row in rows if row["week"] is not None}
    problems = []
    for point in body["series"]:
        row = weeks.get(date.fromisoformat(point["start"]), {})
        deployments = row.get("deployments", 0)
        floor_point = {
            "deployments": deployments,
            "lead_time_median_seconds": row.get("lead_median"),
            "change_failure_rate": row["failed_deployments"] / deployments if deployments else None,
            "time_to_restore_median_seconds": row.get("restore_median"),
        }
        for name, value in floor_point.items():
            if not close(point[name], value):
                problems.append(f"week {point['start']} {name}: API {point[name]!r} != {value!r}")
    return problems


class Bench:
    def __init__(self, runs: int, profile: bool):
        from django.contrib.auth import get_user_model
        from django.test import Client

        from apps.connections.models import Project
        from apps.metrics.selectors import default_period

        self.runs = runs
        self.profile = profile
        user, _ = get_user_model().objects.get_or_create(
            username="bench", defaults={"is_staff": True}
        )
        self.client = Client()
        self.client.force_login(user)
        self.project = Project.objects.get(slug=PROJECT)
        self.since, self.until = default_period(tz=self.project.tz)
        self.year_since = self.until - timedelta(days=365)
        self.all_since, self.all_until = default_period(tz=UTC)
        self.problems: list[str] = []

    def get(self, url: str, params: dict) -> dict:
        response = self.client.get(url, params)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}: {response.content[:500]!r}")
        return response.json()

    def floor(self, *, project_id: int | None, since: date, until: date, series: bool):
        from django.db import connection

        sql = floors.floor_sql(series=series)
        params = floors.floor_params(project_id=project_id, since=since, until=until)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return floors.as_dicts(cursor.fetchall())

    def queries_of(self, fn) -> list[dict]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            fn()
        return list(captured.captured_queries)

    def case(self, name: str, url: str, params: dict, floor_kwargs: dict) -> dict:
        from django.core.cache import cache

        # Kept figures (apps.metrics.selectors.kept_figures) serve repeated reads; the first
        # read after a rebuild computes them.
        computed_samples, _ = timed(lambda: (cache.clear(), self.get(url, params)), self.runs)
        api_samples, body = timed(lambda: self.get(url, params), self.runs)
        floor_samples, rows = timed(lambda: self.floor(**floor_kwargs), self.runs)
        queries = self.queries_of(lambda: self.get(url, params))
        api, floor = summary(api_samples), summary(floor_samples)
        result = {
            "url": f"{url}?" + "&".join(f"{k}={v}" for k, v in params.items()),
            "api": api,
            "api_computed": summary(computed_samples),
            "floor": floor,
            "ratio_p50": round(api["p50_ms"] / floor["p50_ms"], 2),
            "queries": len(queries),
            "source": body["scope"].get("source", "per project"),
        }
        self.check(name, body, rows)
        if self.profile:
            print(f"\n  queries of {name} ({len(queries)}):")
            for query in sorted(queries, key=lambda q: -float(q["time"])):
                print(f"    {float(query['time']) * 1000:8.1f} ms  {query['sql'][:150]}")
        return result

    def check(self, name: str, body: dict, rows: list[dict]) -> None:
        if "projects" in body:
            by_slug = {row["project"]["slug"]: row for row in body["projects"]}
            from apps.connections.models import Project

            slugs = dict(Project.objects.values_list("pk", "slug"))
            for row in rows:
                slug = slugs[row["project_id"]]
                self.problems += disagreements(headline(by_slug[slug]), row, f"{name} {slug}")
            return
        total = next(row for row in rows if row["week"] is None)
        self.problems += disagreements(headline(body), total, name)
        if name.startswith("365"):
            self.problems += series_disagreements(body, rows)

    def all_cases(self) -> dict[str, dict]:
        project_id = self.project.pk
        return {
            "90-day report, one project": self.case(
                "90-day",
                "/api/v1/metrics/dora",
                {"project": PROJECT},
                {
                    "project_id": project_id,
                    "since": self.since,
                    "until": self.until,
                    "series": False,
                },
            ),
            "365-day weekly series, one project": self.case(
                "365-day",
                "/api/v1/metrics/dora",
                {
                    "project": PROJECT,
                    "since": self.year_since.isoformat(),
                    "until": self.until.isoformat(),
                    "interval": "week",
                },
                {
                    "project_id": project_id,
                    "since": self.year_since,
                    "until": self.until,
                    "series": True,
                },
            ),
            "all-projects comparison, 90 days": self.case(
                "all-projects",
                "/api/v1/metrics/dora/projects",
                {},
                {
                    "project_id": None,
                    "since": self.all_since,
                    "until": self.all_until,
                    "series": False,
                },
            ),
        }


def mark_today_dirty() -> None:
    """A delivery has just arrived for every project: today is dirty until the next rebuild."""
    from apps.connections.models import Project
    from apps.marks.services import mark_dirty

    now = datetime.now(UTC)
    for project in Project.objects.all():
        mark_dirty(project=project, environment="PRODUCTION", instants=[now])


def rebuild_marked() -> float:
    from apps.metrics.services import recompute_dirty

    began = time.perf_counter()
    recompute_dirty(max_batches=10_000)
    return time.perf_counter() - began


def vacuum_metrics_tables() -> None:
    """What autovacuum does a while after a bulk rebuild: planner statistics and the visibility
    map that index-only scans need. Without it the first minutes after a full rebuild are
    slower, which is not what this benchmark is about."""
    with scale_data.psycopg.connect(scale_data.database_url(), autocommit=True) as conn:
        for table in ("metrics_changeleadtime", "metrics_dailysnapshot", "metrics_dirtyday"):
            conn.execute(f"VACUUM (ANALYZE) {table}")


def print_table(state: str, cases: dict[str, dict]) -> None:
    print(f"\n{state}:")
    print(
        f"  {'':38} {'API p50':>9} {'API p95':>9} {'computed p50':>13} {'p95':>9} "
        f"{'floor p50':>10} {'ratio':>6} {'queries':>8}"
    )
    for name, case in cases.items():
        computed = case["api_computed"]
        print(
            f"  {name:38} {case['api']['p50_ms']:>7.1f}ms {case['api']['p95_ms']:>7.1f}ms "
            f"{computed['p50_ms']:>11.1f}ms {computed['p95_ms']:>7.1f}ms "
            f"{case['floor']['p50_ms']:>8.1f}ms {case['ratio_p50']:>6.2f} {case['queries']:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep an earlier load of this shape")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per measurement")
    parser.add_argument("--profile", action="store_true", help="print each request's queries")
    parser.add_argument(
        "--rederive", action="store_true", help="also time `recompute_metrics --all` (long)"
    )
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--cache", default=BENCH_CACHE, help="Redis URL of the cache ('' for none)")
    args = parser.parse_args()

    began = datetime.now(UTC)
    load = scale_data.ensure(reuse=args.reuse, scale=args.scale)
    setup_django(args.cache)
    from apps.marks.models import DirtyDay

    results: dict[str, Any] = {
        "date": began.isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start",
        "load": load,
    }
    marked = DirtyDay.objects.count()
    if marked:
        print(f"building the snapshots of {marked:,} marked days...", flush=True)
        results["snapshot_build_seconds"] = round(rebuild_marked(), 1)
        print(f"  built in {results['snapshot_build_seconds']} s")
        vacuum_metrics_tables()

    bench = Bench(args.runs, args.profile)
    results["snapshots"] = bench.all_cases()
    results["memory_after_first_state"] = memory_mb()
    print_table("every day rebuilt (counts from the daily snapshots)", results["snapshots"])

    mark_today_dirty()
    results["live"] = bench.all_cases()
    print_table("today marked dirty (counts from the rows)", results["live"])
    results["memory_at_end"] = memory_mb()
    print(
        f"\nmemory of this process (app in-process): {results['memory_after_first_state']} after"
        f" the first state, {results['memory_at_end']} at the end"
    )
    results["rebuild_after_burst_seconds"] = round(rebuild_marked(), 2)
    seconds = results["rebuild_after_burst_seconds"]
    print(f"\nrebuilding today's snapshots of 50 projects: {seconds} s")

    if args.rederive:
        print("recompute_metrics --all (decides every link again)...", flush=True)
        out, seconds = scale_data.manage("recompute_metrics", "--all", env=scale_data.app_env())
        results["recompute_all_seconds"] = round(seconds, 1)
        print(f"  {out.strip()[:80]}... in {seconds:.0f} s")

    results["disagreements"] = bench.problems
    if bench.problems:
        print("\nTHE API AND THE FLOOR DISAGREE:")
        for problem in bench.problems[:40]:
            print("  " + problem)
    else:
        print("\nthe API and the floor agree on every headline number and series point")
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "metrics_scale.json").write_text(json.dumps(results, indent=2, default=str))

    from django.db import connections

    connections.close_all()
    if not args.keep:
        scale_data.drop_database()
        print(f"dropped {scale_data.DB_NAME} (use --keep to reuse it)")
    sys.exit(1 if bench.problems else 0)


if __name__ == "__main__":
    main()
