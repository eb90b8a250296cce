"""Fixtures of the reliability campaign: test-owned Redis servers, Celery pointed at them, and
the clean reference run a faulted run must match."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from django.db import connection as db_connection
from django.test import Client

from apps.ci.models import Job
from apps.connections.models import Project
from apps.deployments.models import Commit, Deployment, DeploymentCommit
from apps.events.models import LifecycleEvent
from apps.issues.models import Issue
from apps.metrics import selectors
from tests.factories import ConnectionFactory, token_for
from tests.reliability import traffic


def free_port(start: int) -> int:
    for port in range(start, start + 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")


class RedisServer:
    """A redis-server owned by one test: started, killed and started again on the same port."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if not _has("redis-server"):
        pytest.skip("needs redis-server on PATH")
    server = RedisServer(free_port(6391))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _has(program: str) -> bool:
    import shutil

    return shutil.which(program) is not None


def _reset_broker_pools(app: Any) -> None:
    # Connections are pooled per broker URL: forget them when the URL changes under the app.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_on(transactional_db: None, settings: Any) -> Iterator[Any]:
    """Point the project's Celery app at a broker URL (tasks leave eager mode); restored after.
    Deliveries then take production's road: stored pending, applied by the applier task."""
    from config.celery_app import app

    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}

    def configure(url: str) -> Any:
        app.conf.update(task_always_eager=False, broker_url=url)
        _reset_broker_pools(app)
        settings.DORAHUB_APPLY_INLINE = False
        return app

    yield configure
    app.conf.update(**saved)
    _reset_broker_pools(app)


@contextlib.contextmanager
def thread_worker(app: Any) -> Iterator[Any]:
    """A Celery worker in a thread of this process, consuming from the app's broker."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"
    ) as worker:
        yield worker


def wait_until(predicate: Any, *, timeout: float, interval: float = 0.2, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not within {timeout}s: {what}")


def wait_stable(measure: Any, *, quiet: float, timeout: float) -> Any:
    """The value of `measure()` once it has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    value, since = measure(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        current = measure()
        if current != value:
            value, since = current, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return value
    raise AssertionError(f"still changing after {timeout}s")


def reconcile_until_processed(inbox: Any, *, every: float = 15, timeout: float = 240) -> None:
    """What beat does every five minutes, sped up: send the reconciliation to the workers until
    no delivery of `inbox` is left unprocessed."""
    from apps.operations.tasks import reconcile

    sent_at = -every

    def done() -> bool:
        nonlocal sent_at
        if not inbox.filter(processed_at__isnull=True).exists():
            return True
        if time.monotonic() - sent_at >= every:
            reconcile.apply_async(kwargs={"older_than_seconds": 0})
            sent_at = time.monotonic()
        return False

    wait_until(done, timeout=timeout, interval=0.5, what="every delivery processed")


def state_of(project: Project) -> dict[str, Any]:
    """What a user of the project sees: the rows it holds and its DORA figures."""
    scope = selectors.Scope(project=project, since=traffic.PERIOD[0], until=traffic.PERIOD[1])
    incidents = Issue.objects.filter(project=project, is_incident=True)
    return {
        "rows": {
            "deployments": Deployment.objects.filter(project=project).count(),
            "deployment_commits": DeploymentCommit.objects.filter(
                deployment__project=project
            ).count(),
            "commits": Commit.objects.filter(project=project).count(),
            "incidents": incidents.count(),
            "incidents_resolved": incidents.filter(resolved_at__isnull=False).count(),
            "incidents_linked": incidents.filter(deployment__isnull=False).count(),
            "jobs": Job.objects.filter(project=project).count(),
            "lifecycle_events": LifecycleEvent.objects.filter(project=project).count(),
        },
        "figures": asdict(selectors.dora_report(scope=scope).figures),
    }


def settle() -> None:
    """Run the reconciliation in-process (eager): every follow-up done, every snapshot rebuilt."""
    from apps.operations.tasks import reconcile

    reconcile(older_than_seconds=0)


_REFERENCES: dict[int, dict[str, Any]] = {}


@pytest.fixture
def clean_reference(transactional_db: None) -> Any:
    """`reference(count)`: the state of `traffic.mix(count)` posted once, in order, to a fresh
    project with tasks run in-process as a healthy broker and worker would. Computed once per
    test session: the traffic is deterministic, so its state is too."""
    from config.celery_app import app

    def reference(count: int) -> dict[str, Any]:
        if count not in _REFERENCES:
            assert app.conf.task_always_eager, "the reference runs with a working (eager) broker"
            connection = ConnectionFactory(name=f"reference-{count}-{time.monotonic_ns()}")
            token = token_for(connection)
            client = Client()
            for send in traffic.mix(count, connection_id=connection.pk, token=token):
                response = traffic.post(client, send, token=token)
                assert response.status_code < 300, (send.key, response.content)
            settle()
            _REFERENCES[count] = state_of(connection.project)
        return _REFERENCES[count]

    return reference


def database_url() -> str:
    """The URL of the database this test session uses, for processes started by a test."""
    params = db_connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


# What a process started by a test must not inherit from the test session's environment.
_SESSION_ONLY = ("PYTEST", "DJANGO", "DATABASE_URL", "REDIS_URL", "CELERY", "LOG_LEVEL")


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SESSION_ONLY)}
    env.update(extra)
    return env


ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def production_env(*, database_url: str, broker_url: str = "") -> dict[str, str]:
    """The environment of a process run as deployed: production settings, its own database and
    broker, nothing inherited from the test session."""
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="reliability-" + "s" * 50,
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    if broker_url:
        env["REDIS_URL"] = broker_url
    return env


def start_celery_worker(*, broker_url: str, database_url: str) -> subprocess.Popen[bytes]:
    """`celery worker` as deployed: a separate process (prefork pool) on production settings."""
    return subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "config.celery_app",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        env=production_env(database_url=database_url, broker_url=broker_url),
        cwd=str(ROOT),
        start_new_session=True,  # its own process group: a kill takes the pool child too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started with its own session, children included."""
    with contextlib.suppress(ProcessLookupError):  # it died on its own
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
