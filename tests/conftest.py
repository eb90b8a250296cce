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
