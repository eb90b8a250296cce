"""The largest accepted body of each ingest route, timed on PostgreSQL (issue 16, finding 7).

    .venv/bin/python bench/largest_bodies.py [--database dorahub_bodies] [--runs 3] [--keep]

Creates (drops first) the database, migrates it, creates a project with one connection per
route (and a token or signing secret each), then posts each route's largest accepted body:
every list at its cap, under `DORAHUB_MAX_BODY_BYTES`. Production settings without a broker
(eager follow-ups, as a single-process install runs them: the worst case). Each run uses new
identifiers, so every change and deployment is new. Meanwhile a second connection of the same
project posts one small change at a time in a loop: "other write" is the longest such write
seen while the large body was being answered. Prints route, items, body bytes and the
seconds (median and max of --runs); writes bench/results/largest_bodies.json.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scale_data

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)

Request = tuple[str, bytes, dict[str, str]]


def sha(run: int, kind: str, index: int) -> str:
    return uuid.uuid5(uuid.NAMESPACE_OID, f"{run}/{kind}/{index}").hex + f"{index:08x}"


def iso(offset_seconds: int) -> str:
    return (T0 + timedelta(seconds=offset_seconds)).isoformat()


def fit(make: Callable[[int], bytes], limit: int) -> bytes:
    """The body with the longest filler (message) length that stays under the body limit."""
    low, high = 0, 10000
    while low < high:
        mid = (low + high + 1) // 2
        if len(make(mid)) <= limit:
            low = mid
        else:
            high = mid - 1
    return make(low)


class Routes:
    """Each route's largest body for run `run`, with its URL and headers."""

    def __init__(self, connections: dict[str, Any], tokens: dict[str, str], secret: str):
        from django.conf import settings

        from apps.integrations.devlake.serializers import MAX_COMMITS
        from apps.integrations.github.serializers import MAX_PUSH_COMMITS as GITHUB_MAX
        from apps.integrations.gitlab.serializers import MAX_PUSH_COMMITS as GITLAB_MAX
        from apps.integrations.pulse.serializers import (
            MAX_BATCH_CHANGES,
            MAX_CHANGES,
            MAX_EVENTS,
            MAX_RECORDS,
        )

        self.c, self.tokens, self.secret = connections, tokens, secret
        self.limit = settings.DORAHUB_MAX_BODY_BYTES
        self.caps = {
            "pulse change batch": MAX_EVENTS,
            "pulse deployment": MAX_CHANGES,
            "devlake deployment": MAX_COMMITS,
            "github push": GITHUB_MAX,
            "gitlab push": GITLAB_MAX,
            "pulse records": MAX_RECORDS,
            "pulse batch changes": MAX_BATCH_CHANGES,
        }

    def bearer(self, kind: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.tokens[kind]}"}

    def pulse_changes(self, run: int) -> tuple[int, Request]:
        n = self.caps["pulse change batch"]
        events = [
            {
                "$type": "change",
                "source": "cli",
                "change_id": sha(run, "pc", i),
                "time_created": iso(i),
                "event_type": "push" if i % 2 else "commit",
                "repository": "https://github.com/acme/shop",
                "system": "shop",
            }
            for i in range(n)
        ]
        url = f"/v1/ingestion/cli?api_key={self.tokens['pulse']}"
        return n, (url, json.dumps(events).encode(), {})

    def pulse_deployment(self, run: int) -> tuple[int, Request]:
        n = self.caps["pulse deployment"]
        body = {
            "$type": "deployment",
            "source": "cli",
            "deploy_id": f"release-{run}",
            "time_created": iso(86400),
            "changes": [sha(run, "pd", i) for i in range(n)],
            "repository": "https://github.com/acme/shop",
            "system": "shop",
        }
        url = f"/v1/ingestion/cli?api_key={self.tokens['pulse']}"
        return n, (url, json.dumps(body).encode(), {})

    def pulse_deployment_batch(self, run: int) -> tuple[int, Request]:
        """An array of deployments at the cap, sharing the request's change cap."""
        events, per = self.caps["pulse records"], self.caps["pulse batch changes"]
        per = max(per // events, 1)
        body = [
            {
                "$type": "deployment",
                "source": "cli",
                "deploy_id": f"batch-{run}-{d}",
                "time_created": iso(86400 + d),
                "changes": [sha(run, f"pb{d}", i) for i in range(per)],
                "repository": "https://github.com/acme/shop",
                "system": "shop",
            }
            for d in range(events)
        ]
        url = f"/v1/ingestion/cli?api_key={self.tokens['pulse']}"
        return events * per, (url, json.dumps(body).encode(), {})

    def pulse_incident_batch(self, run: int) -> tuple[int, Request]:
        events = self.caps["pulse records"]
        body = [
            {
                "$type": "incident",
                "source": "cli",
                "incident_id": f"inc-{run}-{i}",
                "time_created": iso(90000 + i),
                "time_resolved": iso(93600 + i),
                "title": "t" * 200,
                "system": "shop",
            }
            for i in range(events)
        ]
        url = f"/v1/ingestion/cli?api_key={self.tokens['pulse']}"
        return events, (url, json.dumps(body).encode(), {})

    def devlake_deployment(self, run: int) -> tuple[int, Request]:
        n = self.caps["devlake deployment"]

        def make(filler: int) -> bytes:
            body = {
                "id": f"deploy-{run}",
                "displayTitle": f"Deploy {run}",
                "result": "SUCCESS",
                "environment": "PRODUCTION",
                "start_time": iso(86400),
                "end_time": iso(86460),
                "deploymentCommits": [
                    {
                        "repo_url": "https://github.com/acme/shop",
                        "commit_sha": sha(run, "dl", i),
                        "commit_msg": "m" * filler,
                        "start_time": iso(86400),
                        "end_time": iso(86460),
                        "result": "SUCCESS",
                    }
                    for i in range(n)
                ],
            }
            return json.dumps(body).encode()

        url = f"/api/rest/plugins/webhook/{self.c['devlake'].pk}/deployments"
        return n, (url, fit(make, self.limit), self.bearer("devlake"))

    def github_push(self, run: int) -> tuple[int, Request]:
        from tests.integrations import github_payloads as gh

        n = self.caps["github push"]

        def make(filler: int) -> bytes:
            commits = [
                {
                    "id": sha(run, "gh", i),
                    "message": "m" * filler,
                    "timestamp": iso(i),
                    "author": {"name": "Mona", "email": "mona@example.com"},
                }
                for i in range(n)
            ]
            body = {**gh.PUSH, "after": commits[-1]["id"], "commits": commits}
            return json.dumps(body).encode()

        body = fit(make, self.limit)
        headers = {
            "HTTP_X_GITHUB_EVENT": "push",
            "HTTP_X_GITHUB_DELIVERY": str(uuid.uuid4()),
            "HTTP_X_GITHUB_HOOK_ID": gh.HOOK_ID,
            "HTTP_X_HUB_SIGNATURE_256": "sha256=" + _hex(self.secret, body),
        }
        return n, (f"/api/v1/connections/{self.c['github'].pk}/github", body, headers)

    def gitlab_push(self, run: int) -> tuple[int, Request]:
        from tests.integrations import sources

        n = self.caps["gitlab push"]
        base = sources.load("gitlab", "push_hook")

        def make(filler: int) -> bytes:
            commits = [
                {"id": sha(run, "gl", i), "message": "m" * filler, "timestamp": iso(i)}
                for i in range(n)
            ]
            body = {**base, "after": commits[-1]["id"], "commits": commits}
            body["total_commits_count"] = n
            return json.dumps(body).encode()

        headers = {
            "HTTP_X_GITLAB_EVENT": "Push Hook",
            "HTTP_X_GITLAB_EVENT_UUID": str(uuid.uuid4()),
            "HTTP_X_GITLAB_TOKEN": self.secret,
        }
        body = fit(make, self.limit)
        return n, (f"/api/v1/connections/{self.c['gitlab'].pk}/gitlab", body, headers)

    def allstacks(self, run: int) -> tuple[int, Request]:
        from apps.integrations.allstacks.serializers import (
            MAX_OPTIONAL_FIELDS,
            MAX_OPTIONAL_VALUES,
        )

        optional = [
            {"key": f"field-{k}", "value": ["v" * 190] * MAX_OPTIONAL_VALUES, "type": "string"}
            for k in range(MAX_OPTIONAL_FIELDS)
        ]
        body = {
            "job_id": f"job-{run}",
            "status": "Succeeded",
            "commit_sha": sha(run, "as", 0)[:40],
            "triggered_by": "t" * 300,
            "repo_id": "https://github.com/acme/shop",
            "service_id": self.c["allstacks"].pk,
            "job_start_time": int(T0.timestamp()),
            "job_duration": 300,
            "job_type": "Production Deploy",
            "optional": optional,
        }
        items = MAX_OPTIONAL_FIELDS * MAX_OPTIONAL_VALUES
        return items, (
            "/webhook/company/1/cicd_job",
            json.dumps(body).encode(),
            self.bearer("allstacks"),
        )

    def cirrus(self, run: int) -> tuple[int, Request]:
        from tests.ci import cirrus

        labels = [f"{i:03d}" + "l" * 196 for i in range(100)]
        payload = cirrus.task_event(
            "COMPLETED",
            1722408873403 + run,
            old_status="EXECUTING",
            uniqueLabels=labels,
            id=6017965227769856 + run,
        )
        payload["build"]["id"] = 5082236150611968 + run
        payload["build"]["changeIdInRepo"] = sha(run, "ci", 0)[:40]
        payload["build"]["changeMessageTitle"] = "m" * 1000
        body = json.dumps(payload).encode()
        headers = {
            "HTTP_X_CIRRUS_EVENT": "task",
            "HTTP_X_CIRRUS_SIGNATURE": cirrus.sign(body, self.secret),
        }
        return len(labels), (f"/api/v1/connections/{self.c['cirrus'].pk}/cirrus", body, headers)

    def all(self) -> dict[str, Callable[[int], tuple[int, Request]]]:
        return {
            "pulse change batch": self.pulse_changes,
            "pulse deployment": self.pulse_deployment,
            "pulse deployment batch": self.pulse_deployment_batch,
            "pulse incident batch": self.pulse_incident_batch,
            "devlake deployment": self.devlake_deployment,
            "github push": self.github_push,
            "gitlab push": self.gitlab_push,
            "allstacks job": self.allstacks,
            "cirrus task": self.cirrus,
        }


def _hex(secret: str, body: bytes) -> str:
    import hashlib
    import hmac

    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class OtherWriter(threading.Thread):
    """Another connection of the project posting one small change after another."""

    def __init__(self, token: str):
        super().__init__(daemon=True)
        self.token = token
        self.stop = threading.Event()
        self.samples: list[tuple[float, float]] = []  # (start, seconds)

    def run(self) -> None:
        from django.db import connections
        from django.test import Client

        client = Client()
        i = 0
        try:
            while not self.stop.is_set():
                body = {
                    "$type": "change",
                    "source": "cli",
                    "change_id": uuid.uuid4().hex,
                    "time_created": iso(i),
                    "system": "other",
                }
                began = time.perf_counter()
                response = client.post(
                    f"/v1/ingestion/cli?api_key={self.token}",
                    data=json.dumps(body),
                    content_type="application/json",
                )
                self.samples.append((began, time.perf_counter() - began))
                assert response.status_code == 200, response.content
                i += 1
                time.sleep(0.01)
        finally:
            connections.close_all()

    def longest_between(self, start: float, end: float) -> float:
        return max((s for began, s in self.samples if began < end and began + s > start), default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="dorahub_bodies")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", action="append", help="route name (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    scale_data.psql(f"DROP DATABASE IF EXISTS {args.database}")
    scale_data.psql(f"CREATE DATABASE {args.database}")
    env = scale_data.app_env(args.database)
    scale_data.manage("migrate", "--noinput", "-v0", env=env)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection as db
    from django.test import Client

    from tests.factories import ConnectionFactory, ProjectFactory, token_for

    secret = "bench-signing-secret"
    project = ProjectFactory(slug="bench", name="Bench")
    kinds = ("pulse", "devlake", "github", "gitlab", "allstacks", "cirrus")
    connections = {
        kind: ConnectionFactory(project=project, kind=kind, name=f"bench-{kind}", secret=secret)
        for kind in kinds
    }
    tokens = {kind: token_for(connections[kind]) for kind in ("pulse", "devlake", "allstacks")}
    other = ConnectionFactory(project=project, kind="pulse", name="bench-other")
    routes = Routes(connections, tokens, secret)
    client = Client()

    writer = OtherWriter(token_for(other))
    writer.start()
    time.sleep(0.5)
    rows = []
    for name, build in routes.all().items():
        if args.only and name not in args.only:
            continue
        seconds, stalls = [], []
        for run in range(args.runs):
            items, (url, body, headers) = build(run)
            began = time.perf_counter()
            response = client.post(url, data=body, content_type="application/json", **headers)
            ended = time.perf_counter()
            if response.status_code >= 300:
                sys.exit(f"{name}: {response.status_code} {response.content[:500]!r}")
            seconds.append(ended - began)
            time.sleep(0.2)  # let the other writer's write in flight finish
            stalls.append(writer.longest_between(began, ended))
        rows.append(
            {
                "route": name,
                "items": items,
                "body_bytes": len(body),
                "seconds_median": round(statistics.median(seconds), 3),
                "seconds_max": round(max(seconds), 3),
                "other_write_max": round(max(stalls), 3),
            }
        )
        print(
            f"{name:24} {items:>6} items {len(body):>9} bytes "
            f"{rows[-1]['seconds_median']:>7.3f} s median {rows[-1]['seconds_max']:>7.3f} s max "
            f"other write {rows[-1]['other_write_max']:>6.3f} s",
            flush=True,
        )
    writer.stop.set()
    writer.join()

    print()
    print("| route | items | body bytes | seconds (median) | seconds (max) | other write (max) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['route']} | {row['items']:,} | {row['body_bytes']:,} | "
            f"{row['seconds_median']:.2f} | {row['seconds_max']:.2f} | "
            f"{row['other_write_max']:.2f} |"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
        "postgres": db.cursor().connection.info.server_version,
        "runs": args.runs,
        "rows": rows,
    }
    (out / "largest_bodies.json").write_text(json.dumps(record, indent=2))
    db.close()
    if not args.keep:
        scale_data.psql(f"DROP DATABASE {args.database}")


if __name__ == "__main__":
    main()
