import os
import shutil
from dataclasses import dataclass

import pytest
from django.db import connection as db_connection
from rest_framework.test import APIClient

from apps.connections.models import Connection
from tests.factories import ConnectionFactory, StaffFactory, UserFactory, token_for


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    has_redis = bool(os.environ.get("REDIS_URL"))
    has_chromium = bool(shutil.which("chromium") or os.path.exists("/usr/bin/chromium"))
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "celery_worker" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis (set REDIS_URL)"))
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(pytest.mark.skip(reason="needs /usr/bin/chromium"))


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@dataclass
class Sender:
    """A connection plus the plaintext of one of its tokens, as a CI system would hold it."""

    connection: Connection
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}


@pytest.fixture
def sender(db: None) -> Sender:
    connection = ConnectionFactory(kind="devlake")
    return Sender(connection=connection, token=token_for(connection))


@pytest.fixture
def other_sender(db: None) -> Sender:
    connection = ConnectionFactory(kind="devlake")
    return Sender(connection=connection, token=token_for(connection))


@pytest.fixture
def staff_client(db: None) -> APIClient:
    client = APIClient()
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def user_client(db: None) -> APIClient:
    client = APIClient()
    client.force_login(UserFactory())
    return client


@pytest.fixture
def is_postgres() -> bool:
    return db_connection.vendor == "postgresql"


@pytest.fixture
def celery_worker_on_redis(transactional_db: None):
    """A real Celery worker (thread) consuming from Redis; tasks leave eager mode meanwhile.

    Use with tests marked `celery_worker`; they are skipped when REDIS_URL is not set."""
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    broker = os.environ["REDIS_URL"]
    saved = {
        "task_always_eager": app.conf.task_always_eager,
        "broker_url": app.conf.broker_url,
    }
    app.conf.update(task_always_eager=False, broker_url=broker)
    app.connection_for_write().default_channel.client.flushdb()  # a clean queue per test
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"
        ) as worker:
            yield worker
    finally:
        app.conf.update(**saved)


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.1):
    """Poll until predicate() is truthy (for work done by a real worker); return its value."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()  # LocMemCache in tests: rate-limit windows and coalescing flags start empty
