"""CTO.ai's Events API (CONTRACTS.md §5), as cto-ai/action and the GitLab template send it:
`POST /` on the host they are given, `Authorization: Bearer <token>`, `Content-Type:
application/json`, `x-ops-mechanism: github-action|gitlab-job`, and a body of `team_id`,
`event_name`, `event_action`, `environment`, `image`, `branch`, `commit`, `repo`. Any 2xx is
success to their `got` client; `GET /` stays the dashboard."""

import io
import json
from datetime import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.events.models import LifecycleEvent, Trigger
from apps.ingest.models import Delivery
from tests.conftest import Sender
from tests.factories import ConnectionFactory, token_for
from tests.integrations.contracts.helpers import deployments, metrics

pytestmark = pytest.mark.django_db

SHA = "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c"


@pytest.fixture
def ctoai() -> Sender:
    connection = ConnectionFactory(kind="ctoai")
    return Sender(connection=connection, token=token_for(connection))


class Clock:
    """CTO.ai's events carry no time: DORA Hub stamps them when they arrive."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def move_to(self, text: str) -> None:
        self.now = datetime.fromisoformat(text)


@pytest.fixture
def freezer(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def event(name: str, action: str, **fields) -> dict:
    return {
        "team_id": "team-42",
        "event_name": name,
        "event_action": action,
        "environment": None,
        "image": None,
        "branch": "main",
        "commit": SHA,
        "repo": "acme/shop",
    } | fields


def send(api, token: str, body: dict, mechanism: str = "github-action"):
    return api.generic(
        "POST",
        "/",
        data=json.dumps(body, separators=(",", ":")).encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_X_OPS_MECHANISM=mechanism,
    )


def test_a_deployment_started_then_succeeded_is_one_production_deployment(api, ctoai, freezer):
    freezer.move_to("2024-03-05T11:00:00Z")
    started = send(api, ctoai.token, event("deployment", "started"))
    freezer.move_to("2024-03-05T11:20:00Z")
    done = send(api, ctoai.token, event("deployment", "success"))

    assert (started.status_code, done.status_code) == (200, 200)
    assert done.json()["deployment"]["result"] == "SUCCESS"
    [stored] = deployments(ctoai.token)
    assert (stored["environment"], stored["result"]) == ("PRODUCTION", "SUCCESS")
    assert (stored["started_at"], stored["finished_at"]) == (
        "2024-03-05T11:00:00Z",
        "2024-03-05T11:20:00Z",
    )
    assert metrics(ctoai.token)["deployment_frequency"]["deployments"] == 1


def test_a_change_opened_then_deployed_has_its_lead_time(api, ctoai, freezer):
    freezer.move_to("2024-03-05T08:00:00Z")
    send(api, ctoai.token, event("change", "open"))
    freezer.move_to("2024-03-05T10:00:00Z")
    merged = send(api, ctoai.token, event("change", "merge"))
    freezer.move_to("2024-03-05T11:00:00Z")
    send(api, ctoai.token, event("deployment", "success"))

    assert merged.json()["change"]["start_at"] == "2024-03-05T08:00:00+00:00"
    assert metrics(ctoai.token)["lead_time"]["median_seconds"] == 3 * 3600


def test_the_gitlab_template_body_with_null_strings_is_accepted(api, ctoai):
    body = event("deployment", "failure", image="null", environment="staging")

    response = send(api, ctoai.token, body, mechanism="gitlab-job")

    assert response.status_code == 200, response.content
    [stored] = deployments(ctoai.token)
    assert (stored["environment"], stored["result"]) == ("STAGING", "FAILURE")


@pytest.mark.parametrize(
    ("name", "actions"),
    [
        ("deployment", ["success", "failure", "started", "progressing", "blocked"]),
        (
            "change",
            ["open", "review_request", "change_requested", "change", "merge", "close", "reopen"],
        ),
    ],
)
def test_every_documented_action_is_answered_2xx_and_recorded(api, ctoai, name, actions):
    answers = [send(api, ctoai.token, event(name, action)).status_code for action in actions]

    assert answers == [200] * len(actions)
    recorded = LifecycleEvent.objects.values_list("name", flat=True)
    for action in actions:
        assert f"ctoai:acme/shop:{name}.{action}" in recorded


def test_a_late_progress_report_never_moves_a_finished_deployment_back(api, ctoai):
    send(api, ctoai.token, event("deployment", "success"))

    late = send(api, ctoai.token, event("deployment", "progressing"))

    assert late.json()["status"] == "unchanged"
    assert deployments(ctoai.token)[0]["result"] == "SUCCESS"


def test_an_unknown_action_names_the_field(api, ctoai):
    response = send(api, ctoai.token, event("deployment", "merge"))

    assert response.status_code == 400
    assert "event_action" in response.json()["error"]["fields"]
    assert Delivery.objects.get().status == "rejected"


def test_another_kinds_token_and_no_token_are_refused(api):
    devlake = ConnectionFactory(kind="devlake")

    wrong = send(api, token_for(devlake), event("deployment", "success"))
    anonymous = api.post("/", data=event("deployment", "success"), format="json")

    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_connection")
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "not_authenticated")


def test_the_dashboard_stays_at_get_root(staff_client):
    response = staff_client.get("/")

    assert response.status_code == 200
    assert "text/html" in response["Content-Type"]


# --- ops.yml: an existing CTO.ai file imports what DORA Hub understands ------------------

OPS_YML = """\
version: "1"
commands:
  - name: build-and-test:0.1.0
    run: node index.js
pipelines:
  - name: release-notes
    url: https://bots.example.com/release
    secret: s3cret
    events:
      - "github:acme/shop:pull_request.opened"
      - "github:acme/shop:pull_request.synchronize"
      - "github:acme/shop:pull_request.reopened"
      - "github:acme/shop:pull_request.merged"
      - "github:acme/shop:create.tag"
      - "github:acme/shop:issue_comment.created"
services:
  - name: preview
    events:
      - "github:acme/shop:pull_request.closed"
"""


def test_an_ops_yml_imports_what_it_understands_and_lists_what_it_skipped(tmp_path):
    path = tmp_path / "ops.yml"
    path.write_text(OPS_YML)
    out = io.StringIO()

    call_command("import_triggers", str(path), "--all-projects", stdout=out)

    trigger = Trigger.objects.get()
    assert trigger.name == "release-notes"
    assert trigger.patterns == [
        "github:acme/shop:pull_request.opened",
        "github:acme/shop:pull_request.synchronize",
        "github:acme/shop:pull_request.reopened",
        "github:acme/shop:pull_request.merged",
        "github:acme/shop:create.tag",
    ]
    report = out.getvalue()
    assert "skipped commands[0]: no events: (not a trigger)" in report
    assert "skipped pipelines[0].events[5]: 'github:acme/shop:issue_comment.created'" in report
    assert "skipped services[0].url: required" in report


def test_with_strict_the_same_file_imports_nothing(tmp_path):
    path = tmp_path / "ops.yml"
    path.write_text(OPS_YML)

    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_triggers", str(path), "--all-projects", "--strict")
    assert not Trigger.objects.exists()
