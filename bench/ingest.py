"""Ingest benchmark: DevLake deployments (3 commits each, unique ids) against the app under
gunicorn with production settings on PostgreSQL, beside a bare Django JSON endpoint, with the
applier (Celery workers on Redis) applying what the requests accept.

    .venv/bin/python bench/ingest.py [--seconds 30] [--connections 32] [--workers 4]
                                     [--appliers 1]

Needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 and `wrk` (installed with apt-get
when missing). Prints requests/s, p50/p99 latency and errors for both endpoints, their ratio,
the applier's backlog when the load stops and how long it took to drain, and the peak RSS of the
web workers and of the applier; writes the same as JSON under bench/results/."""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DB_NAME = "dorahub_bench"
PORT = 8765


def sh(*args: str, env: dict | None = None, check: bool = True) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if check and result.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    print("installing wrk (Debian package)...", flush=True)
    sh("apt-get", "update", "-qq")
    sh("apt-get", "install", "-y", "-qq", "wrk")
    return shutil.which("wrk") or sys.exit("wrk not available")


def app_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        # Production runs with a broker: follow-up work is queued, not run in the request.
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
    )
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="bench-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        DORAHUB_BENCH_ENDPOINT="true",
        DORAHUB_INGEST_RATE_PER_MINUTE="0",
        LOG_LEVEL="WARNING",
    )
    return env


def parse_wrk(output: str) -> dict:
    def seconds(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()
        return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = seconds(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = seconds(re.search(r"\s99%\s+(\S+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(x) for x in socket.groups()) if socket else 0
    )
    return {
        "requests": total,
        "rps": rps,
        "p50_ms": p50 * 1000,
        "p99_ms": p99 * 1000,
        "errors": errors,
    }


def peak_rss_mb(master_pid: int) -> float:
    children = sh("pgrep", "-P", str(master_pid), check=False).split()
    peak = 0
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            peak = max(peak, int(match.group(1)))
    return peak / 1024


def pending(env: dict[str, str]) -> int:
    return int(
        sh(
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            DB_NAME,
            "-tAc",
            "SELECT count(*) FROM ingest_delivery WHERE status = 'pending'",
        ).strip()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--appliers", type=int, default=1, help="Celery worker processes")
    args = parser.parse_args()

    wrk = ensure_wrk()
    sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}")
    sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {DB_NAME}")
    env = app_env(f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
    sh(str(PYTHON), "manage.py", "migrate", "--noinput", "-v0", env=env)
    created = json.loads(
        sh(
            str(PYTHON),
            "manage.py",
            "create_connection",
            "--project",
            "bench",
            "--name",
            "bench",
            "--kind",
            "devlake",
            "--json",
            env=env,
        )
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--worker-class",
            "gthread",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    sh(
        "redis-cli",
        "-u",
        env["REDIS_URL"],
        "FLUSHDB",
    )
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config.celery_app",
            "worker",
            "--concurrency",
            str(args.appliers),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        common = [
            wrk,
            "--latency",
            "-t",
            "2",
            "-c",
            str(args.connections),
            "-d",
            f"{args.seconds}s",
        ]
        bare = parse_wrk(sh(*common, "-s", "bench/bare.lua", f"http://127.0.0.1:{PORT}/bench/bare"))
        wrk_env = dict(os.environ, DORAHUB_TOKEN=created["token"], BENCH_RUN=str(int(time.time())))
        ingest = parse_wrk(
            sh(
                *common,
                "-s",
                "bench/ingest_deployments.lua",
                f"http://127.0.0.1:{PORT}/api/rest/plugins/webhook/{created['id']}/deployments",
                env=wrk_env,
            )
        )
        backlog = pending(env)
        drain_started = time.monotonic()
        while pending(env) and time.monotonic() - drain_started < 600:
            time.sleep(0.2)
        drained_in = time.monotonic() - drain_started
        rss = peak_rss_mb(server.pid)
        applier_rss = peak_rss_mb(worker.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        worker.wait(timeout=60)
    stored = sh(
        "psql",
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-d",
        DB_NAME,
        "-tAc",
        "SELECT (SELECT count(*) FROM deployments_deployment), "
        "(SELECT count(*) FROM deployments_deploymentcommit), "
        "(SELECT count(*) FROM ingest_delivery)",
    ).strip()
    deployments, commits, deliveries = (int(x) for x in stored.split("|"))
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "settings": vars(args),
        "bare": bare,
        "ingest": ingest,
        "ratio": round(ingest["rps"] / bare["rps"], 3),
        "peak_worker_rss_mb": round(rss, 1),
        "peak_applier_rss_mb": round(applier_rss, 1),
        "applier": {
            "processes": args.appliers,
            "backlog_at_end": backlog,
            "backlog_seconds_of_input": round(backlog / ingest["rps"], 2)
            if ingest["rps"]
            else None,
            "drained_in_seconds": round(drained_in, 1),
            "applied_per_second": round(ingest["requests"] / (args.seconds + drained_in), 1),
        },
        "stored": {
            "deployments": deployments,
            "deployment_commits": commits,
            "deliveries": deliveries,
        },
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
