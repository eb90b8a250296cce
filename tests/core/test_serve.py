"""`make run`'s server ends its start-up output with what a new user needs: the URL, the admin
user and its one-time password (first run only), and where the docs are."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_up_output(env: dict[str, str], port: int) -> list[str]:
    """Run `manage.py serve` until its banner is printed; return the lines, then stop it."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        assert process.stdout is not None
        rules = 0
        while time.monotonic() < deadline and rules < 2:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            rules += line.startswith("=====")
    finally:
        process.terminate()
        process.wait(timeout=10)
    return lines


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp_path = tmp_path_factory.mktemp("fresh-install")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "SECRET_KEY": "test-only-secret-key-for-serve",
    }
    env.pop("LOG_LEVEL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def test_the_last_lines_are_the_url_the_one_time_password_and_the_docs(fresh_install):
    port = free_port()
    first = start_up_output(fresh_install, port)

    banner = "\n".join(first[-8:])
    assert first[-1].startswith("=====")
    assert f"DORA Hub is running at http://127.0.0.1:{port}/" in banner
    assert "user admin, password " in banner
    password = banner.split("user admin, password ")[1].split()[0]
    assert len(password) >= 12
    assert "docs/getting-started.md" in banner
    assert "warnings and errors only" in banner

    again = start_up_output(fresh_install, free_port())
    second_banner = "\n".join(again[-8:])
    assert password not in "\n".join(again)
    assert "changepassword admin" in second_banner


def test_log_level_is_quiet_in_eager_mode_and_set_by_log_level(fresh_install):
    script = "from django.conf import settings; print(settings.LOG_LEVEL)"
    for extra, expected in (({}, "WARNING"), ({"LOG_LEVEL": "INFO"}, "INFO")):
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env={**fresh_install, **extra},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip().splitlines()[-1] == expected
