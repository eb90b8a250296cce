"""The `dorahub` CLI against a live DORA Hub and a real git repository with chosen dates:
exactly the expected deployments, changes and lead times, and nothing new on a re-run."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from dorahub_cli.main import main

from apps.deployments.models import Commit, Deployment
from apps.ingest.models import Delivery
from apps.issues.models import Issue
from tests.cli.conftest import utc


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def deployed(connection) -> dict[str, set[str]]:
    """Each deployment of the connection with the shas it contains."""
    return {
        d.external_id: {c.sha for c in d.commits.all()}
        for d in Deployment.objects.filter(connection=connection).prefetch_related("commits")
    }


def lead_times(deployment: Deployment) -> dict[str, timedelta]:
    return {c.sha: deployment.finished_at - c.start_at for c in deployment.commits.all()}


@pytest.fixture
def history(repo):
    """v1 shipped c1; c2 and c3 came after it and are the next deployment's changes."""
    shas = {"c1": repo.commit("first", "2024-01-01T10:00:00")}
    repo.tag("v1", "2024-01-01T12:00:00")
    shas["c2"] = repo.commit("second", "2024-01-02T09:00:00")
    shas["c3"] = repo.commit("third", "2024-01-02T15:00:00")
    repo.git("remote", "add", "origin", "https://ci-bot:s3cr3t@github.com/acme/shop.git")
    return shas


def test_push_git_deployment_reports_the_commits_since_the_previous_ref(capsys, hub, repo, history):
    finished = int(utc("2024-01-03T09:00:00").timestamp())
    argv = hub.args(
        "push", "git", "deployment",
        "--previous-deployment-ref", "v1",
        "--identifier", "v2",
        "--timestamp", str(finished),
        "--system", "shop",
        "-C", str(repo.path),
    )  # fmt: skip

    code, out, err = run(capsys, *argv)

    assert code == 0, err
    assert deployed(hub.connection) == {"v2": {history["c2"], history["c3"]}}
    deployment = Deployment.objects.get()
    assert deployment.finished_at == utc("2024-01-03T09:00:00")
    assert deployment.service == "shop"
    assert deployment.repository.url == "https://github.com/acme/shop"
    assert lead_times(deployment) == {
        history["c2"]: timedelta(hours=24),
        history["c3"]: timedelta(hours=18),
    }
    assert not Commit.objects.filter(sha=history["c1"]).exists()
    assert "2 changes since v1: 2 recorded, 0 unchanged" in out
    assert "deployment v2: created (2 changes)" in out
    assert all(b"s3cr3t" not in bytes(d.body) for d in Delivery.objects.all())

    code, out, err = run(capsys, *argv)

    assert code == 0, err
    assert "0 recorded, 2 unchanged" in out
    assert "deployment v2: unchanged" in out
    assert deployed(hub.connection) == {"v2": {history["c2"], history["c3"]}}
    assert Commit.objects.count() == 2


def test_a_redeploy_without_new_commits_still_counts_as_a_deployment(capsys, hub, repo, history):
    repo.tag("v2", "2024-01-03T09:00:00")

    code, _, err = run(
        capsys,
        *hub.args("push", "git", "deployment", "--previous-deployment-ref", "v2",
                  "--identifier", "v2-redeploy", "-C", str(repo.path)),
    )  # fmt: skip

    assert code == 0, err
    assert "No commits since v2" in err
    assert deployed(hub.connection) == {"v2-redeploy": {history["c3"]}}


def test_changes_pushed_after_their_deployment_give_the_same_lead_time(capsys, hub):
    sha = "d" * 40
    deploy = hub.args("push", "deployment", "--identifier", "7.0", "--timestamp", "1704103200", sha)
    change = hub.args("push", "change", "--identifier", sha, "--timestamp", "1704096000")

    assert run(capsys, *deploy)[0] == 0
    code, out, _ = run(capsys, *change)

    assert code == 0
    assert f"change {sha}: recorded (start 2024-01-01T08:00:00+00:00)" in out
    assert lead_times(Deployment.objects.get()) == {sha: timedelta(hours=2)}


def test_an_incident_is_pushed_open_and_resolved_later(capsys, hub):
    opened = hub.args(
        "push", "incident", "--identifier", "INC-9", "--timestampCreated", "1704103200"
    )  # fmt: skip
    resolved = [*opened, "--timestampResolved", "1704106800"]

    assert run(capsys, *opened)[1].strip() == "incident INC-9: created (open)"
    code, out, _ = run(capsys, *resolved)

    assert code == 0
    assert out.strip() == "incident INC-9: updated (resolved at 2024-01-01T11:00:00+00:00)"
    incident = Issue.objects.get()
    assert (incident.is_incident, incident.status) == (True, "DONE")
    assert incident.resolved_at - incident.created_at == timedelta(hours=1)


@pytest.fixture
def releases(repo):
    """Tags in creation order; one tag adds no commit, one does not match the glob."""
    shas = {"a1": repo.commit("a1", "2024-01-01T10:00:00")}
    repo.tag("v0.1.0", "2024-01-01T12:00:00")
    shas["a2"] = repo.commit("a2", "2024-01-05T10:00:00")
    shas["a3"] = repo.commit("a3", "2024-01-06T10:00:00")
    repo.tag("v0.2.0", "2024-01-07T10:00:00")
    repo.tag("nightly-7", "2024-01-08T10:00:00")
    shas["a4"] = repo.commit("a4", "2024-01-10T10:00:00")
    repo.tag("v0.3.0", "2024-01-11T10:00:00")
    repo.tag("v0.3.1", "2024-01-12T10:00:00")  # the same commit as v0.3.0
    shas["a5"] = repo.commit("a5", "2024-01-15T10:00:00")
    repo.tag("v0.4.0")  # lightweight: created when a5 was committed
    return shas


def test_backfill_reports_each_tag_as_a_deployment_of_the_commits_since_the_previous_tag(
    capsys, hub, repo, releases
):
    argv = hub.args("backfill", "git", "--tags", "v*", "-C", str(repo.path), "--repository", "")

    code, out, err = run(capsys, *argv)

    assert code == 0, err
    assert deployed(hub.connection) == {
        "v0.1.0": {releases["a1"]},  # the first tag: nothing before it bounds its history
        "v0.2.0": {releases["a2"], releases["a3"]},
        "v0.3.0": {releases["a4"]},
        "v0.4.0": {releases["a5"]},
    }
    finished = dict(Deployment.objects.values_list("external_id", "finished_at"))
    assert finished["v0.2.0"] == utc("2024-01-07T10:00:00")
    assert finished["v0.4.0"] == utc("2024-01-15T10:00:00")
    assert lead_times(Deployment.objects.get(external_id="v0.2.0")) == {
        releases["a2"]: timedelta(days=2),
        releases["a3"]: timedelta(days=1),
    }
    assert "Backfilled 4 deployments from 5 tags matching 'v*'" in out
    assert "skipped 1 without new commits" in out
    assert "Deployments: 4 created, 0 updated, 0 unchanged. Changes: 5 recorded" in out
    assert "backfill [##############################] 5/5" in err  # the progress bar

    code, out, err = run(capsys, *argv)

    assert code == 0, err
    assert "Deployments: 0 created, 0 updated, 4 unchanged. Changes: 0 recorded, 5 unchanged" in out
    assert Deployment.objects.count() == 4
    assert Commit.objects.count() == 5


def test_backfill_since_a_date_diffs_the_first_reported_tag_against_the_one_before(
    capsys, hub, repo, releases
):
    argv = hub.args(
        "backfill", "git", "--tags", "v*", "--since", "2024-01-02",
        "-C", str(repo.path), "--system", "shop",
    )  # fmt: skip

    code, out, err = run(capsys, *argv)

    assert code == 0, err
    assert deployed(hub.connection) == {
        "v0.2.0": {releases["a2"], releases["a3"]},  # since v0.1.0, which is before --since
        "v0.3.0": {releases["a4"]},
        "v0.4.0": {releases["a5"]},
    }
    assert set(Deployment.objects.values_list("service", flat=True)) == {"shop"}
    assert "skipped 1 without new commits, 1 before 2024-01-02T00:00:00Z" in out


def test_the_installed_console_script_talks_to_the_server(hub):
    script = Path(sys.executable).with_name("dorahub")
    result = subprocess.run(
        [str(script), *hub.args("push", "change", "--identifier", "e" * 40, "--system", "api")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert Commit.objects.get().service == "api"


def test_dry_run_prints_the_events_and_sends_nothing(capsys, repo, history, transactional_db):
    code, out, _ = run(
        capsys,
        "push", "git", "deployment", "--previous-deployment-ref", "v1", "--identifier", "v2",
        "--timestamp", "1704272400", "--dry-run", "-C", str(repo.path),
    )  # fmt: skip

    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["$type"] for e in events] == ["change", "change", "deployment"]
    assert events[-1]["changes"] == [history["c3"], history["c2"]]
    assert events[0]["repository"] == "https://github.com/acme/shop.git"
    assert not Delivery.objects.exists()
