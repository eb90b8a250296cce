"""docs/getting-started.md, followed as written: the admin steps through the real admin views,
then every shell block of the guide run by bash against a live server, from a git checkout
with a year of tags; all five metrics are filled afterwards."""

import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from apps.metrics.selectors import Scope, dora_report
from apps.metrics.services import recompute_dirty
from tests.cli.conftest import GIT_ENV, GitRepo
from tests.factories import StaffFactory
from tests.operations.admin_pages import command_on, create_connection, create_project, token_on

pytestmark = pytest.mark.django_db(transaction=True)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "getting-started.md"
NOT_RUN = ("make run", "export DORAHUB_URL=")  # the server is the test's; the values are below


def shell_blocks() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.S)
    return [block for block in blocks if not block.startswith(NOT_RUN)]


def run(command: str, *, cwd: Path, env: dict[str, str]) -> str:
    import subprocess

    result = subprocess.run(
        ["bash", "-e", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    assert '"error"' not in result.stdout, (command, result.stdout)
    return result.stdout


def a_year_of_tags(repo: GitRepo) -> None:
    now = timezone.now().replace(microsecond=0, tzinfo=None)
    for days_ago in (300, 200, 100, 20):
        authored = (now - timedelta(days=days_ago + 2)).isoformat()
        repo.commit(f"work before {days_ago}", authored)
        repo.commit(
            f"more work before {days_ago}", (now - timedelta(days=days_ago + 1)).isoformat()
        )
        repo.tag(f"v1.{300 - days_ago}.0", (now - timedelta(days=days_ago)).isoformat())


def test_the_guide_takes_a_new_user_to_all_five_metrics_with_history(live_server, tmp_path):
    admin = Client()
    admin.force_login(StaffFactory())
    admin.dorahub_host = urlsplit(live_server.url).netloc
    project = create_project(admin, name="Shop", slug="shop")
    connection, page = create_connection(admin, project=project, name="deploy-bot", kind="devlake")
    token = token_on(page)
    assert token
    backfill_on_page = command_on(page, "backfill")
    assert token in backfill_on_page
    assert live_server.url in backfill_on_page

    repo = GitRepo(tmp_path / "shop")
    a_year_of_tags(repo)
    env = {
        **os.environ,
        **GIT_ENV,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # the CLI of make run
        "DORAHUB_URL": live_server.url,
        "DORAHUB_TOKEN": token,
        "CONNECTION": str(connection.pk),
    }
    blocks = shell_blocks()
    assert any("dorahub backfill git" in block for block in blocks)

    for block in blocks:
        run(block, cwd=repo.path, env=env)

    recompute_dirty()
    today = timezone.localdate()
    year = Scope(
        project=project, since=today - timedelta(days=365), until=today + timedelta(days=1)
    )
    figures = dora_report(scope=year).figures
    assert figures.deployment_frequency.deployments >= 6
    assert figures.lead_time.median_seconds is not None
    assert figures.lead_time.changes >= 6  # the tagged commits, a year of them
    assert figures.change_failure_rate.failed_deployments == 1
    assert figures.time_to_restore.median_seconds is not None
    assert figures.rework_rate.rework_deployments == 1
