"""`manage.py import_triggers FILE`: triggers kept in a repository as ops.yml-style YAML."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.events.models import Trigger
from apps.events.services import save_trigger
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

WORKFLOWS = """\
version: "1"
workflows:
  - name: release-bot
    description: Tell the release bot about merges
    url: https://bots.example.com/dorahub
    secret_env: RELEASE_BOT_SECRET
    events:
      - "github:acme/*:pull_request.merged"
      - "github:acme/*:create.tag"
  - name: approvals
    url: https://chat.example.com/hooks/approvals
    secret: approvals-secret
    events:
      - "*:*:build.needs_approval"
"""

# The shape of a CTO.ai ops.yml, with the URL DORA Hub needs added.
CTO_AI = """\
version: "1"
pipelines:
  - name: sample-expressjs-pipeline:0.1.1
    description: build a release for deployment
    url: https://ci.example.com/pipelines/express
    secret: pipeline-secret
    events:
      - "github:workspace/repo:pull_request.merged"
      - "github:workspace/repo:pull_request.opened"
    jobs:
      - name: sample-expressjs-build-job
commands:
  - name: setup-infra:0.1.0
    description: a command with no events is not a trigger
    run: ./setup.sh
services:
  - name: preview:0.1.0
    url: https://ci.example.com/services/preview
    secret: service-secret
    events:
      - "github:workspace/repo:pull_request.opened"
"""


def run(tmp_path, text, *args):
    """Import `text`; items that name no scope are installation-wide unless `args` say."""
    path = tmp_path / "ops.yml"
    path.write_text(text)
    out = StringIO()
    if not any(a.startswith("--project") for a in args):
        args = (*args, "--all-projects")
    call_command("import_triggers", str(path), *args, stdout=out)
    return out.getvalue()


def test_a_trigger_without_a_scope_is_refused(tmp_path):
    path = tmp_path / "ops.yml"
    path.write_text(WORKFLOWS)

    with pytest.raises(CommandError, match=r"workflows\[1\]: give exactly one of project:"):
        call_command("import_triggers", str(path), stdout=StringIO())
    assert not Trigger.objects.exists()


def test_items_and_the_command_line_name_the_scope(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASE_BOT_SECRET", "s")
    shop = ConnectionFactory(name="shop-ci")
    text = WORKFLOWS.replace(
        "    secret: approvals-secret\n",
        "    secret: approvals-secret\n    connections: [shop-ci]\n",
    )

    run(tmp_path, text, f"--project={shop.project.slug}")

    bot, approvals = Trigger.objects.get(name="release-bot"), Trigger.objects.get(name="approvals")
    assert (bot.project, bot.all_projects) == (shop.project, False)
    assert (approvals.project, list(approvals.connections.all())) == (None, [shop])


def test_an_unknown_project_or_connection_is_named(tmp_path):
    text = WORKFLOWS.replace(
        "    secret: approvals-secret\n", "    secret: approvals-secret\n    connections: [nope]\n"
    )

    with pytest.raises(CommandError) as raised:
        run(tmp_path, text, "--project=ghost")

    assert "workflows[0].project: no project with the slug 'ghost'" in str(raised.value)
    assert "workflows[1].connections[0]: no connection named 'nope'" in str(raised.value)


def test_workflows_become_triggers_with_their_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASE_BOT_SECRET", "from-the-environment")

    output = run(tmp_path, WORKFLOWS)

    bot = Trigger.objects.get(name="release-bot")
    assert bot.patterns == ["github:acme/*:pull_request.merged", "github:acme/*:create.tag"]
    assert bot.url == "https://bots.example.com/dorahub"
    assert bot.get_secret() == "from-the-environment"
    assert bot.description == "Tell the release bot about merges"
    assert Trigger.objects.get(name="approvals").get_secret() == "approvals-secret"
    assert "created release-bot" in output
    assert "from-the-environment" not in bot.secret_encrypted


def test_importing_again_updates_the_triggers_of_the_same_name(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASE_BOT_SECRET", "first")
    run(tmp_path, WORKFLOWS)
    monkeypatch.setenv("RELEASE_BOT_SECRET", "rotated")
    edited = WORKFLOWS.replace('"*:*:build.needs_approval"', '"*:*:build.failed"')

    output = run(tmp_path, edited)

    assert Trigger.objects.count() == 2
    assert Trigger.objects.get(name="approvals").patterns == ["*:*:build.failed"]
    assert Trigger.objects.get(name="release-bot").get_secret() == "rotated"
    assert "updated approvals" in output


def test_the_cto_ai_ops_yml_shape_is_read(tmp_path):
    output = run(tmp_path, CTO_AI)

    assert sorted(Trigger.objects.values_list("name", flat=True)) == [
        "preview:0.1.0",
        "sample-expressjs-pipeline:0.1.1",
    ]
    assert "skipped commands[0]" in output


def test_an_existing_trigger_keeps_its_secret_when_the_file_names_none(tmp_path):
    save_trigger(
        name="approvals",
        patterns=["*:*:*"],
        url="https://x.example.com/",
        secret="kept",
        all_projects=True,
    )
    text = """\
workflows:
  - name: approvals
    url: https://chat.example.com/hooks/approvals
    events: ["*:*:build.needs_approval"]
"""
    run(tmp_path, text)

    assert Trigger.objects.get().get_secret() == "kept"


def test_with_strict_a_bad_file_names_every_problem_and_imports_nothing(tmp_path):
    text = """\
workflows:
  - name: good
    url: https://ok.example.com/
    secret: s
    events: ["*:*:push"]
  - name: typo
    url: https://ok.example.com/
    secret: s
    events: ["github:acme/api:pull_request.merge", "*:*:push"]
  - name: metadata
    url: http://169.254.169.254/latest/meta-data/
    secret: s
    events: ["*:*:push"]
  - name: no-url
    secret: s
    events: ["*:*:push"]
  - name: no-secret
    url: https://ok.example.com/
    events: ["*:*:push"]
  - name: missing-env
    url: https://ok.example.com/
    secret_env: NOT_SET_ANYWHERE_42
    events: ["*:*:push"]
"""
    with pytest.raises(CommandError) as raised:
        run(tmp_path, text, "--strict")

    message = str(raised.value)
    assert "workflows[1].events[0]: 'github:acme/api:pull_request.merge': unknown event" in message
    assert "workflows[2].url: 169.254.169.254 is a cloud metadata address" in message
    assert "workflows[3].url: required" in message
    assert "workflows[4]: a new trigger needs secret or secret_env" in message
    assert "workflows[5].secret_env: environment variable NOT_SET_ANYWHERE_42 is not set" in (
        message
    )
    assert "workflows[0]" not in message
    assert not Trigger.objects.exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("workflows: [", "not valid YAML"),
        ("- just a list", "Expected a YAML mapping"),
        ("workflows: {name: x}", "workflows: must be a list"),
        ("commands: [{name: x, run: y}]", "defines no triggers"),
        (
            "workflows: [{name: a, url: 'https://a.example.com', secret: s, events: []}]",
            "workflows[0].events: must be a non-empty list",
        ),
    ],
)
def test_malformed_files_are_refused_with_the_reason(tmp_path, text, problem):
    with pytest.raises(CommandError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        run(tmp_path, text)


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_triggers", str(tmp_path / "nope.yml"))


def test_dry_run_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASE_BOT_SECRET", "x")

    output = run(tmp_path, WORKFLOWS, "--dry-run")

    assert "would import release-bot" in output
    assert not Trigger.objects.exists()
