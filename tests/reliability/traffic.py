"""A deterministic mix of deliveries as a real fleet sends them: DevLake deployments and
incidents, Allstacks CI jobs and Pulse change reports, for one connection.

The same `mix(count)` posted to two connections in two projects must give the same rows and the
same DORA figures, whatever happened to the broker, the workers or the order in between.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

START = datetime(2024, 3, 4, 8, tzinfo=UTC)  # a Monday
PERIOD = (date(2024, 3, 1), date(2024, 5, 1))
REPO = "https://github.com/acme/shop"
STEP = timedelta(minutes=53)


@dataclass(frozen=True)
class Send:
    """One HTTP delivery; `key` names it across retries and across projects."""

    key: str
    path: str
    body: Any
    # Senders that name their deliveries (Idempotency-Key) make a retry a plain duplicate.
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return json.dumps(self.body).encode()


def sha(n: int) -> str:
    return hashlib.sha1(f"commit-{n}".encode()).hexdigest()  # a fixture id, not a digest


def _at(i: int) -> datetime:
    return START + i * STEP


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _deployment(i: int, connection_id: int) -> Send:
    started = _at(i)
    body: dict[str, Any] = {
        "id": f"dep-{i}",
        "result": "FAILURE" if i % 70 == 0 else "SUCCESS",
        "environment": "PRODUCTION",
        "start_time": _iso(started),
        "end_time": _iso(started + timedelta(minutes=6)),
    }
    if i % 20 == 1:
        # DevLake's current camelCase shape with several commits.
        body = {
            "id": f"dep-{i}",
            "startedDate": _iso(started),
            "finishedDate": _iso(started + timedelta(minutes=6)),
            "deploymentCommits": [
                {"repoUrl": REPO, "commitSha": sha(i), "commitMsg": f"change {i}"},
                {"repoUrl": REPO, "commitSha": sha(i + 100_000), "commitMsg": "fixes INC-x"},
            ],
        }
    else:
        body |= {"repo_url": REPO, "commit_sha": sha(i), "commit_msg": f"change {i}"}
    if i % 30 == 0 and i >= 10:
        body["resolves"] = [f"INC-{i - 7}"]
    return Send(
        key=f"deployment-{i}",
        path=f"/api/rest/plugins/webhook/{connection_id}/deployments",
        body=body,
    )


def _incident(i: int, connection_id: int, *, resolved: bool) -> Send:
    created = _at(i) + timedelta(minutes=20)
    body: dict[str, Any] = {
        "issue_key": f"INC-{i}",
        "title": f"checkout errors {i}",
        "type": "INCIDENT",
        "status": "DONE" if resolved else "TODO",
        "created_date": _iso(created),
    }
    if resolved:
        body["resolution_date"] = _iso(created + timedelta(minutes=45 + i % 90))
    return Send(
        key=f"incident-{i}-{'resolved' if resolved else 'opened'}",
        path=f"/api/rest/plugins/webhook/{connection_id}/issues",
        body=body,
        headers={"Idempotency-Key": f"incident-{i}-{resolved}"},
    )


def _job(i: int, connection_id: int, *, deploy: bool) -> Send:
    started = _at(i)
    body = {
        "job_id": "deploy-web" if deploy else "unit-tests",
        "commit_sha": sha(i),
        "service_id": connection_id,
        "job_start_time": int(started.timestamp()),
        "job_duration": 240 + i % 60,
        "status": "Failed" if i % 40 == 5 else "Succeeded",
        "repo_name": "acme/web",
        "job_type": "Production Deploy" if deploy else "Unit tests",
        "triggered_by": "ci@acme.test",
    }
    return Send(key=f"job-{i}", path="/webhook/company/acme/cicd_job", body=body)


def _change(i: int, token: str) -> Send:
    # A commit of a deployment sent two deliveries later, authored three hours before it.
    target = i + 2
    body = {
        "$type": "change",
        "source": "cli",
        "change_id": sha(target),
        "time_created": _iso(_at(target) - timedelta(hours=3)),
        "event_type": "commit",
        "repository": REPO,
    }
    return Send(
        key=f"change-{i}",
        path=f"/v1/ingestion/cli?api_key={token}",
        body=body,
        headers={"Idempotency-Key": f"change-{i}"},
    )


def mix(count: int, *, connection_id: int, token: str) -> list[Send]:
    """`count` deliveries, in groups of ten: three deployments, an incident opened, an
    earlier incident resolved (or a fourth deployment), two deploy jobs, a test job and two
    change reports."""
    sends: list[Send] = []
    for i in range(count):
        kind = i % 10
        if kind in (0, 1, 2):
            sends.append(_deployment(i, connection_id))
        elif kind == 3:
            sends.append(_incident(i, connection_id, resolved=False))
        elif kind == 4 and i >= 10 and (i // 10) % 3 != 2:
            # Resolve the incident of the previous group (every third one stays open).
            sends.append(_incident(i - 11, connection_id, resolved=True))
        elif kind == 4:
            sends.append(_deployment(i, connection_id))
        elif kind in (5, 6):
            sends.append(_job(i, connection_id, deploy=True))
        elif kind == 7:
            sends.append(_job(i, connection_id, deploy=False))
        else:
            sends.append(_change(i, token))
    return sends


def post(client: Any, send: Send, *, token: str) -> Any:
    """Post `send` with the Django test client as its sender would, bearer token included."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for name, value in send.headers.items():
        headers["HTTP_" + name.upper().replace("-", "_")] = value
    return client.post(send.path, data=send.encoded(), content_type="application/json", **headers)
