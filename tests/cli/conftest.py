"""A real git repository with chosen dates, and a Pulse connection on a live test server."""

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from apps.connections.models import Connection
from tests.factories import ConnectionFactory, token_for

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class GitRepo:
    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, when: datetime | None = None) -> str:
        env = {**os.environ, **GIT_ENV}
        if when is not None:
            stamp = f"@{int(when.timestamp())} +0000"
            env |= {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        result = subprocess.run(
            ["git", "-C", str(self.path), *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    def commit(self, message: str, when: str) -> str:
        self.git("commit", "-q", "--allow-empty", "-m", message, when=utc(when))
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, when: str | None = None, *, ref: str = "HEAD") -> None:
        """An annotated tag created at `when`, else a lightweight one (dated by its commit)."""
        if when is not None:
            self.git("tag", "-a", name, "-m", name, ref, when=utc(when))
        else:
            self.git("tag", name, ref)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    # The CLI's own git calls must not read the developer's or CI's git configuration either.
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    return GitRepo(tmp_path / "repo")


@dataclass
class Hub:
    """What a CI job is given: the DORA Hub URL and a connection's API key."""

    url: str
    key: str
    connection: Connection

    def args(self, *extra: str) -> list[str]:
        return [*extra, "--url", self.url, "--api-key", self.key, "--retry-delay", "0"]


@pytest.fixture
def hub(live_server, transactional_db) -> Hub:
    connection = ConnectionFactory(kind="pulse")
    return Hub(url=live_server.url, key=token_for(connection), connection=connection)
