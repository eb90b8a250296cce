"""Freshness: time from a webhook's 2xx to the daily snapshot that counts it.

    .venv/bin/python bench/freshness.py [--reuse] [--keep] [--deliveries 200] [--delay 1]

Runs the app under gunicorn (production settings) and a real Celery worker (`celery -A
config.celery_app worker`) on Redis db 8, against the scale database of bench/scale_data.py
(1,000,000 deployments; `--empty` uses an empty database instead). Posts --deliveries DevLake
deployments (3 commits each, finished now) to one project, --gap seconds apart, and polls the
database every 10 ms: delivery i is fresh once the project's DailySnapshot of today counts i more
deployments than before the first. Prints p50/p95/max of the 2xx-to-snapshot time, with
DORAHUB_RECOMPUTE_DELAY_SECONDS=--delay; writes bench/results/freshness.json.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_data
from metrics_scale import memory_mb, percentile

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PORT = 8767
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
EMPTY_DB = "dorahub_fresh"
PROJECT = "team-07"  # a UTC project of the scale data


def peak_of_children(pid: int) -> float:
    """The highest peak resident memory (VmHWM) of a process's children, in MiB."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    peaks = []
    for child in found.stdout.split():
        try:
            peaks.append(memory_mb(child)["peak_mb"])
        except (OSError, KeyError):
            continue
    return max(peaks, default=0.0)


class SnapshotWatcher(threading.Thread):
    """Polls today's snapshot of the project and notes when each count is first seen."""

    def __init__(self, database_url: str, project_id: int, day: str, wanted: int):
        super().__init__(daemon=True)
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.query = (
            "SELECT deployments FROM metrics_dailysnapshot "
            "WHERE project_id = %s AND environment = 'PRODUCTION' AND day = %s"
        )
        self.params = (project_id, day)
        self.base = self.count()
        self.wanted = wanted
        self.seen: dict[int, float] = {}  # deployments beyond base -> first time seen
        self.stop = threading.Event()

    def count(self) -> int:
        row = self.conn.execute(self.query, self.params).fetchone()
        return row[0] if row else 0

    def run(self) -> None:
        best = 0
        while not self.stop.is_set() and best < self.wanted:
            now = time.perf_counter()
            extra = self.count() - self.base
            for n in range(best + 1, extra + 1):
                self.seen[n] = now
            best = max(best, extra)
            time.sleep(0.01)


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")


def post(url: str, token: str, body: dict) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between deliveries")
    parser.add_argument(
        "--delay", type=int, default=None, help="DORAHUB_RECOMPUTE_DELAY_SECONDS (default: app's)"
    )
    parser.add_argument("--empty", action="store_true", help="an empty database, not the scale one")
    parser.add_argument("--reuse", action="store_true", help="keep an earlier scale load")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    args = parser.parse_args()

    if args.empty:
        database = EMPTY_DB
        scale_data.psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        scale_data.psql(f"CREATE DATABASE {database}")
        scale_data.manage("migrate", "--noinput", "-v0", env=scale_data.app_env(database))
    else:
        database = scale_data.DB_NAME
        scale_data.ensure(reuse=args.reuse)
    extra = {"REDIS_URL": REDIS_URL, "DORAHUB_INGEST_RATE_PER_MINUTE": "0"}
    if args.delay is not None:
        extra["DORAHUB_RECOMPUTE_DELAY_SECONDS"] = str(args.delay)
    env = scale_data.app_env(database, **extra)
    # Nothing left from an earlier run: no pending-recompute flag, no queued task.
    subprocess.run(["redis-cli", "-u", REDIS_URL, "FLUSHDB"], check=True, capture_output=True)
    scale_data.manage("recompute_metrics", env=env)  # start from clean snapshots
    created = json.loads(
        scale_data.manage(
            "create_connection",
            "--project",
            PROJECT,
            "--name",
            f"freshness-{int(time.time())}",
            "--kind",
            "devlake",
            "--json",
            env=env,
        )[0]
    )
    url = f"http://127.0.0.1:{PORT}/api/rest/plugins/webhook/{created['id']}/deployments"
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    logs = open(ROOT / "bench" / "results" / "freshness-processes.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", "2", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "config.celery_app", "worker", "--loglevel", "WARNING",
         "--concurrency", str(args.concurrency), "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{PORT}/healthz")
        time.sleep(3)  # the worker connects to Redis
        with psycopg.connect(scale_data.database_url(database)) as conn:
            project_id, tz = conn.execute(
                "SELECT id, time_zone FROM connections_project WHERE slug = %s", [PROJECT]
            ).fetchone()
        now = datetime.now(UTC)
        watcher = SnapshotWatcher(
            scale_data.database_url(database), project_id, now.date().isoformat(), args.deliveries
        )
        watcher.start()
        acknowledged: dict[int, float] = {}
        answer_ms = []
        run = int(time.time())
        for n in range(1, args.deliveries + 1):
            finished = datetime.now(UTC).replace(microsecond=0)
            body = {
                "id": f"fresh-{run}-{n}",
                "result": "SUCCESS",
                "start_time": (finished - timedelta(minutes=4)).isoformat(),
                "end_time": finished.isoformat(),
                "deploymentCommits": [
                    {
                        "repo_url": "https://github.com/acme/team-07-repo-0",
                        "commit_sha": f"{run:08x}{n:08x}{k:024x}",
                    }
                    for k in range(3)
                ],
            }
            began = time.perf_counter()
            status = post(url, created["token"], body)
            acknowledged[n] = time.perf_counter()
            answer_ms.append((acknowledged[n] - began) * 1000)
            if status not in (200, 201):
                sys.exit(f"delivery {n} answered {status}")
            time.sleep(args.gap)
        watcher.join(timeout=120)
        watcher.stop.set()
        fresh = [watcher.seen[n] - acknowledged[n] for n in acknowledged if n in watcher.seen]
        missing = args.deliveries - len(fresh)
        memory = {
            "web_workers_peak_mb": peak_of_children(server.pid),
            "celery_workers_peak_mb": peak_of_children(worker.pid),
        }
    finally:
        for process in (server, worker):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        logs.close()
    if not fresh:
        sys.exit("no delivery ever reached the snapshot")
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at end",
        "database": "empty" if args.empty else "scale (1,000,000 deployments)",
        "deliveries": args.deliveries,
        "gap_seconds": args.gap,
        "recompute_delay_seconds": args.delay if args.delay is not None else "app default",
        "time_zone": tz,
        "answer_ms": {"p50": round(statistics.median(answer_ms), 1),
                      "p95": round(percentile(answer_ms, 0.95), 1)},
        "fresh_seconds": {
            "p50": round(statistics.median(fresh), 3),
            "p95": round(percentile(fresh, 0.95), 3),
            "max": round(max(fresh), 3),
        },
        "never_fresh": missing,
        "memory": memory,
    }  # fmt: skip
    (ROOT / "bench" / "results" / "freshness.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if not args.keep:
        scale_data.psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        print(f"dropped {database} (use --keep to reuse it)")


if __name__ == "__main__":
    main()
