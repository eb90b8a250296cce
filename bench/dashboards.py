"""Dashboards at scale: server render time of the overview and a project page.

    .venv/bin/python bench/dashboards.py [--reuse] [--keep] [--runs 20]

Uses the database of bench/scale_data.py (50 projects, 1,000,000 deployments over two years;
loaded when missing, `--reuse` keeps an earlier load) and renders, through the Django test client
with production settings and a logged-in user, the overview `/` and the project page
`/projects/team-03/` (default 90 days, each beside the 90 days before). Prints p50/p95 over
--runs, the number of queries, and the same with today marked dirty (a delivery has just arrived,
so counts come from the rows); writes bench/results/dashboards.json. The database is dropped at
the end unless --keep.
"""

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scale_data
from metrics_scale import (
    BENCH_CACHE,
    PROJECT,
    mark_today_dirty,
    memory_mb,
    rebuild_marked,
    setup_django,
    summary,
    timed,
    vacuum_metrics_tables,
)

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"overview": "/", "project page": f"/projects/{PROJECT}/"}


def measure(client, runs: int) -> dict[str, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def render(url: str):
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        return response

    from django.core.cache import cache

    out = {}
    for name, url in PAGES.items():
        # The first render after a rebuild computes what later ones read from kept figures.
        computed, _ = timed(lambda url=url: (cache.clear(), render(url)), runs)
        with CaptureQueriesContext(connection) as captured:
            cache.clear()
            render(url)
        samples, _ = timed(lambda url=url: render(url), runs)
        with CaptureQueriesContext(connection) as kept:
            render(url)
        out[name] = {
            "url": url,
            **summary(samples),
            "queries": len(kept.captured_queries),
            "computed": {**summary(computed), "queries": len(captured.captured_queries)},
        }
    return out


def print_table(state: str, pages: dict[str, dict]) -> None:
    print(f"\n{state}:")
    for name, page in pages.items():
        computed = page["computed"]
        print(
            f"  {name:14} {page['url']:22} p50 {page['p50_ms']:7.1f} ms   "
            f"p95 {page['p95_ms']:7.1f} ms   {page['queries']} queries   computed: "
            f"p50 {computed['p50_ms']:7.1f} ms   p95 {computed['p95_ms']:7.1f} ms   "
            f"{computed['queries']} queries"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep an earlier load of this shape")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--runs", type=int, default=20, help="timed renders per page")
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--cache", default=BENCH_CACHE, help="Redis URL of the cache ('' for none)")
    args = parser.parse_args()

    began = datetime.now(UTC)
    load = scale_data.ensure(reuse=args.reuse, scale=args.scale)
    # Production settings serve hashed static files, as a deployment would after collectstatic.
    scale_data.manage("collectstatic", "--noinput", "-v0", env=scale_data.app_env())
    setup_django(args.cache)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from apps.marks.models import DirtyDay

    if DirtyDay.objects.exists():
        print("building the snapshots of the marked days...", flush=True)
        print(f"  built in {rebuild_marked():.0f} s")
        vacuum_metrics_tables()
    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    client = Client()
    client.force_login(user)

    results = {
        "date": began.isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start",
        "load": load,
        "snapshots": measure(client, args.runs),
        "memory_after_first_state": memory_mb(),
    }
    print_table("every day rebuilt", results["snapshots"])
    mark_today_dirty()
    results["live"] = measure(client, args.runs)
    print_table("today marked dirty (a delivery just arrived)", results["live"])
    results["memory_at_end"] = memory_mb()
    print(
        f"\nmemory of this process: {results['memory_after_first_state']} after the first state,"
        f" {results['memory_at_end']} at the end"
    )
    rebuild_marked()
    results["load_average_at_end"] = round(os.getloadavg()[0], 2)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "dashboards.json").write_text(json.dumps(results, indent=2, default=str))

    from django.db import connections

    connections.close_all()
    if not args.keep:
        scale_data.drop_database()
        print(f"dropped {scale_data.DB_NAME} (use --keep to reuse it)")


if __name__ == "__main__":
    main()
