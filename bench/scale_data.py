"""Two years of a large company's history in a dedicated PostgreSQL database, written with COPY.

    .venv/bin/python bench/scale_data.py [--reuse] [--drop]

50 projects (30 in UTC, 10 in Europe/Berlin, 10 in America/New_York), four repositories each,
1,000,000 deployments (half to PRODUCTION, a third to STAGING, the rest to DEVELOPMENT; 5%
FAILURE; a few rollbacks and hotfixes, each remediating the deployment before it), 5,000,000
deployment commits (each deployment lists five; a production deployment ships what staging
shipped before it, so a change has several deployments and lead time takes the first), and
100,000 incidents (78% linked to the deployment the linking rules would pick, 22% unlinked, 95%
resolved; hotfixes resolve some, listing the incident's key in `resolves`, with the key row
ingestion stores for it: apps.deployments.resolutions).

The rows follow the rules of apps.derive.linking and apps.derive.remediation, so
`recompute_metrics --all` decides the same links again. Days with data are marked dirty, as
ingestion would leave them; `build_snapshots` then rebuilds them. The load is recorded in the
database comment, so `--reuse` skips it when the same shape is already there.
"""

import argparse
import bisect
import io
import json
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "dorahub_scale"
SHAPE_VERSION = 3  # 3: the resolved keys of the hotfixes are loaded

PROJECTS = 50
DEPLOYMENTS = 1_000_000
COMMITS_PER_DEPLOYMENT = 5
INCIDENTS = 100_000
DAYS = 730
REPOSITORIES = 4
SEED = 20241
PRODUCTION, STAGING, DEVELOPMENT = "PRODUCTION", "STAGING", "DEVELOPMENT"
LINK_WINDOW = timedelta(days=7)
NULL = "\\N"


def database_url(name: str = DB_NAME) -> str:
    return f"{SERVER}/{name}"


def time_zone_of(index: int) -> str:
    return ("UTC", "UTC", "UTC", "Europe/Berlin", "America/New_York")[index % 5]


def slug_of(index: int) -> str:
    return f"team-{index:02d}"


# --- generation ------------------------------------------------------------------------------


def ts(value: datetime | None) -> str:
    return NULL if value is None else value.isoformat()


def lognormal_seconds(rng: random.Random, median: float, sigma: float, low: float, high: float):
    return min(high, max(low, median * math.exp(rng.gauss(0.0, sigma))))


@dataclass
class Ids:
    deployment: int = 0
    commit: int = 0
    deployment_commit: int = 0
    issue: int = 0
    remediation: int = 0
    resolved_key: int = 0


@dataclass
class Shipped:
    """A successful deployment as the remediation and linking rules see it."""

    pk: int
    external_id: str
    finished_at: datetime
    head: str
    commits: list[int]


@dataclass
class Rows:
    """Text-format COPY rows of one project, per table."""

    deployments: io.StringIO = field(default_factory=io.StringIO)
    commits: io.StringIO = field(default_factory=io.StringIO)
    deployment_commits: io.StringIO = field(default_factory=io.StringIO)
    remediations: io.StringIO = field(default_factory=io.StringIO)
    issues: io.StringIO = field(default_factory=io.StringIO)
    resolved_keys: io.StringIO = field(default_factory=io.StringIO)


class Project:
    def __init__(self, index: int, *, end: datetime, ids: Ids, per_project: int, incidents: int):
        self.index = index
        self.pk = index + 1
        self.connection_id = index + 1
        self.rng = random.Random(SEED + index)
        self.end = end
        self.start = end - timedelta(days=DAYS)
        self.ids = ids
        self.per_project = per_project
        self.incident_count = incidents
        self.tz = ZoneInfo(time_zone_of(index))
        self.rows = Rows()
        self.repositories = [self.pk * 10 + r for r in range(REPOSITORIES)]
        # Half the projects label their deployments with a service per repository.
        self.services = [f"svc-{r}" if index % 2 == 0 else "" for r in range(REPOSITORIES)]
        self.staged: list[list[int]] = [[] for _ in range(REPOSITORIES)]
        self.lanes: dict[tuple[str, int], list[Shipped]] = {}
        self.production: list[Shipped] = []  # every successful production deployment
        self.hotfixes: list[Shipped] = []
        self.commit_count = 0

    # -- commits --

    def new_commits(self, repository: int, count: int, before: datetime) -> list[int]:
        out = []
        for _ in range(count):
            self.ids.commit += 1
            self.commit_count += 1
            authored = before - timedelta(
                seconds=lognormal_seconds(self.rng, 5 * 3600, 1.3, 120, 20 * 86400)
            )
            sha = f"{self.rng.getrandbits(160):040x}"
            self.rows.commits.write(
                f"{self.ids.commit}\t{sha}\tchange {self.commit_count} of {slug_of(self.index)}\t"
                f"{self.services[repository]}\t{ts(authored)}\t{NULL}\t{ts(authored)}\t{NULL}\t"
                f"{self.pk}\t{self.repositories[repository]}\n"
            )
            self._shas[self.ids.commit] = sha
            out.append(self.ids.commit)
        return out

    # -- deployments --

    def moments(self) -> list[datetime]:
        """Deployment finish times: mostly on weekdays, spread over the two years."""
        span = (self.end - self.start).total_seconds()
        out = []
        while len(out) < self.per_project:
            moment = self.start + timedelta(seconds=self.rng.random() * span)
            if moment.weekday() >= 5 and self.rng.random() < 0.8:
                continue
            out.append(moment.replace(microsecond=self.rng.randrange(1_000_000)))
        return sorted(out)

    def generate(self) -> None:
        self._shas: dict[int, str] = {}
        for number, finished in enumerate(self.moments(), start=1):
            roll = self.rng.random()
            environment = PRODUCTION if roll < 0.5 else STAGING if roll < 0.85 else DEVELOPMENT
            repository = self.rng.randrange(REPOSITORIES)
            result = "FAILURE" if self.rng.random() < 0.05 else "SUCCESS"
            self.deployment(number, finished, environment, repository, result)
        self.incidents()
        self._shas.clear()

    def deployment(
        self, number: int, finished: datetime, environment: str, repository: int, result: str
    ) -> None:
        lane = self.lanes.setdefault((environment, repository), [])
        rollback = hotfix = False
        remediates: int | None = None
        k = COMMITS_PER_DEPLOYMENT
        chance = self.rng.random()
        if environment == PRODUCTION and result == "SUCCESS" and chance < 0.003 and len(lane) > 1:
            # Re-deploys the sha before the last one: rolls the last one back.
            rollback, remediates = True, lane[-1].pk
            commits, head = list(lane[-2].commits), lane[-2].head
        else:
            if environment == PRODUCTION and result == "SUCCESS" and chance < 0.008 and lane:
                hotfix, remediates = True, lane[-1].pk
                commits = self.new_commits(repository, k, finished)
            elif environment == PRODUCTION:
                queue = self.staged[repository]
                commits = queue[:k]
                commits += self.new_commits(repository, k - len(commits), finished)
                if result == "SUCCESS":
                    del queue[:k]
            else:
                commits = self.new_commits(repository, k, finished)
                if environment == STAGING:
                    self.staged[repository].extend(commits)
            head = self._shas[commits[-1]]
        self.ids.deployment += 1
        pk = self.ids.deployment
        external_id = f"pipe-{number}"
        started = finished - timedelta(seconds=self.rng.randrange(90, 1500))
        resolves = "[]"
        shipped = Shipped(pk, external_id, finished, head, commits)
        if hotfix:
            self.hotfixes.append(shipped)
            key = self.hotfix_key(len(self.hotfixes))
            resolves = json.dumps([key])
            # The row upsert_deployment stores for it (upper-cased, as keys_in gives it).
            self.ids.resolved_key += 1
            self.rows.resolved_keys.write(
                f"{self.ids.resolved_key}\t{key.upper()}\t{pk}\t{self.pk}\n"
            )
        self.rows.deployments.write(
            f"{pk}\t{ts(finished)}\t{ts(finished)}\t{external_id}\t"
            f"deploy {slug_of(self.index)}/repo-{repository} #{number}\t{environment}\t{result}\t"
            f"{self.services[repository]}\tmain\t{head}\t{number}\t{ts(started)}\t{ts(started)}\t"
            f"{ts(finished)}\t{'t' if rollback else 'f'}\t{'t' if hotfix else 'f'}\t{resolves}\t\t"
            f"{self.connection_id}\t{self.pk}\t{self.repositories[repository]}\t\n"
        )
        for commit in commits:
            self.ids.deployment_commit += 1
            self.rows.deployment_commits.write(
                f"{self.ids.deployment_commit}\tmain\t\t\t{commit}\t{pk}\t"
                f"{self.repositories[repository]}\tf\n"
            )
        if remediates is not None:
            self.ids.remediation += 1
            self.rows.remediations.write(f"{self.ids.remediation}\t{pk}\t{remediates}\n")
        if result == "SUCCESS":
            lane.append(shipped)
            if environment == PRODUCTION:
                self.production.append(shipped)

    # -- incidents --

    @staticmethod
    def hotfix_key(number: int) -> str:
        return f"HOT-{number}"

    def window_cause(self, created: datetime, finished: list[datetime]) -> Shipped | None:
        """The latest successful production deployment finished before `created`, in the window."""
        index = bisect.bisect_left(finished, created) - 1
        if index >= 0 and created - finished[index] <= LINK_WINDOW:
            return self.production[index]
        return None

    def incidents(self) -> None:
        finished = [d.finished_at for d in self.production]
        span = (self.end - self.start - timedelta(days=1)).total_seconds()
        number = 0
        for fix_number, fix in enumerate(self.hotfixes, start=1):
            created = fix.finished_at - timedelta(seconds=self.rng.randrange(1200, 6 * 3600))
            cause = self.window_cause(created, finished)
            self.incident(
                key=self.hotfix_key(fix_number),
                created=created,
                resolved=fix.finished_at,
                cause=cause,
                method="window" if cause else "",
                service="",
                ref="",
                resolved_by=fix.pk,
            )
        for _ in range(self.incident_count - len(self.hotfixes)):
            number += 1
            created = self.start + timedelta(days=1, seconds=self.rng.random() * span)
            created = created.replace(microsecond=self.rng.randrange(1_000_000))
            resolved = created + timedelta(
                seconds=lognormal_seconds(self.rng, 3 * 3600, 1.3, 300, 10 * 86400)
            )
            if self.rng.random() < 0.05 or resolved >= self.end:
                resolved = None
            kind = self.rng.random()
            if kind < 0.22:  # names a service nothing deploys: stays unlinked
                self.incident(
                    key=f"INC-{number}",
                    created=created,
                    resolved=resolved,
                    cause=None,
                    method="",
                    service="legacy-billing",
                    ref="",
                )
                continue
            if kind < 0.30:  # the sender names the deployment
                start = bisect.bisect_left(finished, created - timedelta(days=3))
                stop = bisect.bisect_left(finished, created)
                if stop > start:
                    cause = self.production[self.rng.randrange(start, stop)]
                    self.incident(
                        key=f"INC-{number}",
                        created=created,
                        resolved=resolved,
                        cause=cause,
                        method="payload",
                        service="",
                        ref=cause.external_id,
                    )
                    continue
            cause = self.window_cause(created, finished)
            self.incident(
                key=f"INC-{number}",
                created=created,
                resolved=resolved,
                cause=cause,
                method="window" if cause else "",
                service="",
                ref="",
            )

    def incident(
        self,
        *,
        key: str,
        created: datetime,
        resolved: datetime | None,
        cause: Shipped | None,
        method: str,
        service: str,
        ref: str,
        resolved_by: int | None = None,
    ) -> None:
        self.ids.issue += 1
        status = "DONE" if resolved else self.rng.choice(["TODO", "IN_PROGRESS"])
        self.rows.issues.write(
            f"{self.ids.issue}\t{ts(created)}\t{ts(resolved or created)}\t{key}\t"
            f"{key}: checkout errors\t\t\tINCIDENT\tt\t{status}\t{status}\t\t\t\t{service}\t"
            f"{ts(created)}\t{ts(resolved or created)}\t{ts(resolved)}\t{{}}\t{ref}\t{method}\t\t"
            f"{self.connection_id}\t{cause.pk if cause else NULL}\t{self.pk}\t{NULL}\t"
            f"{resolved_by if resolved_by else NULL}\t\n"
        )


# --- loading ---------------------------------------------------------------------------------

COLUMNS = {
    "deployments_deployment": (
        "id, created, modified, external_id, name, environment, result, service, ref_name, "
        "commit_sha, pipeline_id, created_at, started_at, finished_at, is_rollback, is_hotfix, "
        "resolves, payload_digest, connection_id, project_id, repository_id, rework_decision"
    ),
    "deployments_commit": (
        "id, sha, message, service, authored_at, reported_at, start_at, merged_at, project_id, "
        "repository_id"
    ),
    "deployments_deploymentcommit": (
        "id, ref_name, name, message, commit_id, deployment_id, repository_id, inferred"
    ),
    "deployments_deployment_remediates": "id, from_deployment_id, to_deployment_id",
    "deployments_resolvedkey": "id, key, deployment_id, project_id",
    "issues_issue": (
        "id, created, modified, issue_key, title, description, url, type, is_incident, status, "
        "original_status, priority, severity, component, service, created_at, updated_at, "
        "resolved_at, extra, caused_by_ref, link_method, payload_digest, connection_id, "
        "deployment_id, project_id, repository_id, resolved_by_id, person_link"
    ),
}
TABLE_OF = {
    "deployments": "deployments_deployment",
    "commits": "deployments_commit",
    "deployment_commits": "deployments_deploymentcommit",
    "remediations": "deployments_deployment_remediates",
    "issues": "issues_issue",
    "resolved_keys": "deployments_resolvedkey",
}
# Loaded in this order so a row only names rows already there.
LOAD_ORDER = (
    "commits",
    "deployments",
    "deployment_commits",
    "resolved_keys",
    "remediations",
    "issues",
)


def psql(sql: str, database: str = "postgres") -> str:
    with psycopg.connect(database_url(database), autocommit=True) as conn:
        cursor = conn.execute(sql)
        return "" if cursor.description is None else str(cursor.fetchall())


def database_exists() -> bool:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        return bool(
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        )


def stored_shape() -> dict | None:
    if not database_exists():
        return None
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [DB_NAME],
        ).fetchone()
    try:
        return json.loads(row[0]) if row and row[0] else None
    except ValueError:
        return None


def wanted_shape(scale: float) -> dict:
    return {
        "version": SHAPE_VERSION,
        "projects": PROJECTS,
        "deployments": int(DEPLOYMENTS * scale),
        "incidents": int(INCIDENTS * scale),
    }


def app_env(database: str = DB_NAME, **extra: str) -> dict[str, str]:
    """The environment of a production-settings process on the scale database."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="bench-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url(database),
        LOG_LEVEL="WARNING",
        # The benchmarks run management commands and servers without a broker (apps/core/checks.py).
        DORAHUB_ALLOW_SINGLE_PROCESS="true",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> tuple[str, float]:
    began = time.perf_counter()
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout, time.perf_counter() - began


def drop_database() -> None:
    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def ensure(*, reuse: bool, scale: float = 1.0, log=print) -> dict:
    """The scale database migrated and loaded; returns the load's record."""
    shape = wanted_shape(scale)
    stored = stored_shape()
    if reuse and stored and all(stored.get(k) == v for k, v in shape.items()):
        log(f"reusing {DB_NAME} loaded {stored['loaded_at']} ({stored['load_seconds']:.0f} s)")
        manage("migrate", "--noinput", "-v0", env=app_env())  # new index migrations, if any
        return stored
    drop_database()
    psql(f"CREATE DATABASE {DB_NAME}")
    _, seconds = manage("migrate", "--noinput", "-v0", env=app_env())
    log(f"created {DB_NAME} and migrated it in {seconds:.1f} s")
    record = load(scale=scale, log=log)
    psql(f"COMMENT ON DATABASE {DB_NAME} IS '{json.dumps({**shape, **record})}'")
    return {**shape, **record}


def _copy(cursor: psycopg.Cursor, table: str, buffer: io.StringIO) -> None:
    data = buffer.getvalue()
    if not data:
        return
    with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
        view = memoryview(data.encode())
        for start in range(0, len(view), 1 << 20):
            copy.write(view[start : start + (1 << 20)])


def load(*, scale: float, log=print) -> dict:
    began = time.perf_counter()
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    per_project = int(DEPLOYMENTS * scale) // PROJECTS
    incidents = int(INCIDENTS * scale) // PROJECTS
    ids = Ids()
    generating = copying = 0.0
    with psycopg.connect(database_url()) as conn:
        # The generator only names rows it wrote before: skip the per-row foreign key triggers,
        # and do not wait for a flush per project (the load is repeated if it crashes).
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        cursor = conn.cursor()
        _fixtures(cursor, end)
        for index in range(PROJECTS):
            t0 = time.perf_counter()
            project = Project(index, end=end, ids=ids, per_project=per_project, incidents=incidents)
            project.generate()
            t1 = time.perf_counter()
            for name in LOAD_ORDER:
                _copy(cursor, TABLE_OF[name], getattr(project.rows, name))
            conn.commit()
            generating += t1 - t0
            copying += time.perf_counter() - t1
            if index % 10 == 9:
                log(
                    f"  {index + 1} projects: {ids.deployment:,} deployments, "
                    f"{ids.deployment_commit:,} deployment commits, {ids.commit:,} commits, "
                    f"{ids.issue:,} incidents ({time.perf_counter() - began:.0f} s)"
                )
        t2 = time.perf_counter()
        _finish(cursor)
        conn.commit()
        finishing = time.perf_counter() - t2
    conn = psycopg.connect(database_url(), autocommit=True)
    t3 = time.perf_counter()
    conn.execute("VACUUM (ANALYZE)")
    conn.close()
    vacuum = time.perf_counter() - t3
    total = time.perf_counter() - began
    log(
        f"loaded in {total:.0f} s (generate {generating:.0f} s, COPY {copying:.0f} s, "
        f"keys and marks {finishing:.0f} s, VACUUM ANALYZE {vacuum:.0f} s)"
    )
    return {
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "end": end.isoformat(),
        "load_seconds": round(total, 1),
        "rows": {
            "deployments": ids.deployment,
            "deployment_commits": ids.deployment_commit,
            "commits": ids.commit,
            "incidents": ids.issue,
            "remediations": ids.remediation,
            "resolved_keys": ids.resolved_key,
        },
    }


def _fixtures(cursor: psycopg.Cursor, end: datetime) -> None:
    created = ts(end - timedelta(days=DAYS + 1))
    for index in range(PROJECTS):
        pk = index + 1
        cursor.execute(
            "INSERT INTO connections_project (id, created, modified, name, slug, time_zone, "
            "incident_link_window) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                pk,
                created,
                created,
                f"Team {index:02d}",
                slug_of(index),
                time_zone_of(index),
                LINK_WINDOW,
            ],
        )
        cursor.execute(
            "INSERT INTO connections_connection (id, created, modified, name, slug, kind, "
            "signing_secret_encrypted, is_active, settings, project_id) "
            "VALUES (%s, %s, %s, %s, %s, 'devlake', '', true, '{}', %s)",
            [pk, created, created, f"{slug_of(index)}-ci", f"{slug_of(index)}-ci", pk],
        )
        for r in range(REPOSITORIES):
            url = f"https://github.com/acme/{slug_of(index)}-repo-{r}"
            cursor.execute(
                "INSERT INTO deployments_repository (id, url, name, project_id) "
                "VALUES (%s, %s, %s, %s)",
                [pk * 10 + r, url, url.removeprefix("https://github.com/"), pk],
            )


def _finish(cursor: psycopg.Cursor) -> None:
    """Identity sequences past the loaded ids; every day with data marked dirty."""
    for table in (
        "connections_project",
        "connections_connection",
        "deployments_repository",
        *TABLE_OF.values(),
    ):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(max(id), 1) FROM {table}))"
        )
    # What ingestion leaves behind: a mark for each project-local day a row touched.
    cursor.execute(
        """
        INSERT INTO metrics_dirtyday (project_id, environment, day, marked_at)
        SELECT DISTINCT d.project_id, d.environment, (d.finished_at AT TIME ZONE p.time_zone)::date,
               now()
        FROM deployments_deployment d JOIN connections_project p ON p.id = d.project_id
        UNION
        SELECT DISTINCT i.project_id, COALESCE(d.environment, 'PRODUCTION'),
               (t.at AT TIME ZONE p.time_zone)::date, now()
        FROM issues_issue i
        JOIN connections_project p ON p.id = i.project_id
        LEFT JOIN deployments_deployment d ON d.id = i.deployment_id
        CROSS JOIN LATERAL (VALUES (i.created_at), (i.resolved_at)) AS t(at)
        WHERE t.at IS NOT NULL
        """
    )


def build_snapshots(log=print) -> float:
    """Rebuild every marked day (what the recompute task does after ingestion)."""
    out, seconds = manage("recompute_metrics", env=app_env())
    log(f"  {out.strip()} in {seconds:.1f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep an existing load of this shape")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--drop", action="store_true", help="drop the database and exit")
    args = parser.parse_args()
    if args.drop:
        drop_database()
        print(f"dropped {DB_NAME}")
        return
    print(json.dumps(ensure(reuse=args.reuse, scale=args.scale), indent=2))


if __name__ == "__main__":
    main()
