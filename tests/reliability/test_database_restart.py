"""A PostgreSQL restart under load: senders get a quick 503 in the error shape (never a hang,
never an HTML 500), the app serves again as soon as the database is back, without a restart, and
senders that retry lose nothing.

The app runs as deployed (gunicorn, production settings) against a PostgreSQL cluster this test
creates, so the shared cluster the suite runs on is never touched."""

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue

import pytest
import requests

from tests.reliability import report, traffic
from tests.reliability.conftest import (
    BIN,
    ROOT,
    free_port,
    kill,
    production_env,
    start_celery_worker,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
COUNT = 400
SENDERS = 4
ANSWER_LIMIT = 5.0  # seconds: the longest a sender may wait for any answer


class OwnPostgres:
    """A throwaway PostgreSQL 15 cluster in a temporary directory, on its own port."""

    def __init__(self, port: int):
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="dorahub-pg-"))
        self.url = f"postgres://postgres@127.0.0.1:{port}/dorahub"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres", group="postgres")
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.directory / "data"), "-A", "trust",
            "-U", "postgres", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self.start()
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "dorahub")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-o", options,
            "-l", str(self.directory / "log"), "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast",
                  "-w", "stop")  # fmt: skip

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def own_postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"needs PostgreSQL 15 server binaries in {PG_BIN}")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("needs runuser to run initdb as the postgres user")
    cluster = OwnPostgres(free_port(5499))
    try:
        cluster.create()
    except (subprocess.CalledProcessError, KeyError) as exc:
        cluster.destroy()
        pytest.skip(f"could not create a PostgreSQL cluster: {exc}")
    yield cluster
    cluster.destroy()


@pytest.fixture
def app_on(own_postgres, redis_server):
    """The app as deployed on the test's cluster and broker: gunicorn and a Celery worker.
    Yields (base URL, the connection made by `create_connection --json`, gunicorn)."""
    env = production_env(database_url=own_postgres.url, broker_url=redis_server.url)
    manage = [str(BIN / "python"), "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=180)  # fmt: skip
    created = subprocess.run(
        [*manage, "create_connection", "--project", "shop", "--name", "fleet", "--kind",
         "devlake", "--json"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    connection = json.loads(created.stdout)
    port = free_port(8790)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--timeout", "30", "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = start_celery_worker(broker_url=redis_server.url, database_url=own_postgres.url)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{base}/healthz"), timeout=30, what="gunicorn serving")
        yield base, connection, server
    finally:
        server.terminate()
        server.wait(timeout=15)
        kill(worker)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2, headers=HTTPS).status_code == 200
    except requests.RequestException:
        return False


# The app sits behind a TLS-terminating proxy in production; this is what the proxy adds.
HTTPS = {"X-Forwarded-Proto": "https"}


@dataclass
class Attempt:
    key: str
    status: int  # 0: no answer at all
    seconds: float
    body: object


def sender(base: str, token: str, work: Queue, attempts: list[Attempt]) -> None:
    """A webhook sender that retries a refused delivery after a short pause, as they all do."""
    session = requests.Session()
    while True:
        try:
            send = work.get_nowait()
        except Empty:
            return
        while True:
            started = time.monotonic()
            try:
                response = session.post(
                    base + send.path,
                    data=send.encoded(),
                    headers={"Authorization": f"Bearer {token}", **send.headers, **HTTPS},
                    timeout=ANSWER_LIMIT * 3,
                )
                status, body = response.status_code, _json(response)
            except requests.RequestException as exc:
                status, body = 0, repr(exc)
            attempts.append(Attempt(send.key, status, time.monotonic() - started, body))
            if 200 <= status < 300:
                break
            time.sleep(0.1)


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text[:200]


def test_a_database_restart_answers_503_and_recovers_without_a_restart(
    own_postgres, redis_server, app_on, celery_on, clean_reference
):
    reference = clean_reference(COUNT)
    base, connection, server = app_on
    celery_on(redis_server.url)  # to send the reconciliation as beat would
    work: Queue = Queue()
    for send in traffic.mix(COUNT, connection_id=connection["id"], token=connection["token"]):
        work.put(send)
    attempts: list[Attempt] = []
    threads = [
        threading.Thread(target=sender, args=(base, connection["token"], work, attempts))
        for _ in range(SENDERS)
    ]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(attempts) >= COUNT // 4, timeout=60, interval=0.02, what="traffic")
    own_postgres.stop()
    outage_started = len(attempts)
    time.sleep(3)
    own_postgres.start()
    for thread in threads:
        thread.join(timeout=120)
    settle_remote(own_postgres.url)

    refused = [a for a in attempts if a.status == 503]
    accepted = [a for a in attempts if 200 <= a.status < 300]
    unexpected = [a for a in attempts if a.status not in (503,) and not 200 <= a.status < 300]
    rows = _count_rows(own_postgres.url)
    figures = requests.get(
        f"{base}/api/v1/metrics/dora",
        params={"since": traffic.PERIOD[0], "until": traffic.PERIOD[1]},
        headers={"Authorization": f"Bearer {connection['token']}", **HTTPS},
        timeout=30,
    ).json()
    report.record(
        "database_restart",
        sent=COUNT,
        attempts=len(attempts),
        refused_503=len(refused),
        accepted=len(accepted),
        stored=rows["stored"],
        duplicates_suppressed=rows["duplicates"],
        slowest_answer_seconds=round(max(a.seconds for a in attempts), 3),
        inbox_rows_left_received=rows["unanswered"],
        lost=len(accepted) - rows["stored"],
    )
    assert not unexpected, unexpected[:5]
    assert refused  # the outage was felt...
    assert len(attempts) > outage_started  # ...and senders went on after it
    assert all(
        a.body["error"]["code"] == "service_unavailable"
        for a in refused  # type: ignore[index]
    )
    assert max(a.seconds for a in attempts) < ANSWER_LIMIT
    assert server.poll() is None  # the same gunicorn, never restarted
    assert len(accepted) == COUNT == rows["stored"]
    compared = ("deployments", "commits", "incidents", "incidents_linked", "incidents_resolved")
    assert {k: rows[k] for k in (*compared, "jobs")} == {
        k: reference["rows"][k] for k in (*compared, "jobs")
    }
    assert {name: figures[name] for name in reference["figures"]} == reference["figures"]


def settle_remote(url: str) -> None:
    """Applier runs and follow-ups that failed with the database are retried by the worker; what
    is left is the reconciliation's, sent here as beat would, until every accepted delivery is
    applied and followed up and every snapshot rebuilt. A worker still starting up when the
    traffic ends leaves deliveries pending, which this waits for too."""
    from apps.operations.tasks import reconcile

    sent_at = 0.0

    def settled() -> bool:
        nonlocal sent_at
        rows = _count_rows(url)
        if rows["unprocessed"] == 0 and rows["dirty"] == 0:
            return True
        if time.monotonic() - sent_at > 10:
            reconcile.apply_async(kwargs={"older_than_seconds": 0})
            sent_at = time.monotonic()
        return False

    wait_until(settled, timeout=120, interval=0.5, what="the app settled after the restart")


def _count_rows(url: str) -> dict[str, int]:
    import psycopg

    queries = {
        "stored": "SELECT count(*) FROM ingest_delivery WHERE status IN ('accepted', 'duplicate')",
        "duplicates": "SELECT count(*) FROM ingest_delivery WHERE status = 'duplicate'",
        "deployments": "SELECT count(*) FROM deployments_deployment",
        "incidents": "SELECT count(*) FROM issues_issue WHERE is_incident",
        "jobs": "SELECT count(*) FROM ci_job",
        "commits": "SELECT count(*) FROM deployments_commit",
        "incidents_linked": (
            "SELECT count(*) FROM issues_issue WHERE is_incident AND deployment_id IS NOT NULL"
        ),
        "incidents_resolved": (
            "SELECT count(*) FROM issues_issue WHERE is_incident AND resolved_at IS NOT NULL"
        ),
        # Accepted and not yet applied (the applier's) or not yet followed up (derive's).
        "unprocessed": (
            "SELECT count(*) FROM ingest_delivery WHERE status = 'pending' "
            "OR (status = 'accepted' AND processed_at IS NULL)"
        ),
        # Requests answered 503 whose refusal could not be written (the database was gone).
        "unanswered": "SELECT count(*) FROM ingest_delivery WHERE status = 'received'",
        "dirty": "SELECT count(*) FROM metrics_dirtyday",
    }
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        return {name: db.execute(sql).fetchone()[0] for name, sql in queries.items()}
