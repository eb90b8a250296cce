"""Realistic GitHub webhook payloads (trimmed to the fields GitHub documents for each event,
values as GitHub sends them) and a signed sender for tests."""

import copy
import hashlib
import hmac
import json
import uuid
from typing import Any

SECRET = "webhook-secret-for-tests"
HOOK_ID = "448856297"

REPOSITORY = {
    "id": 35129377,
    "node_id": "MDEwOlJlcG9zaXRvcnkzNTEyOTM3Nw==",
    "name": "api",
    "full_name": "acme/api",
    "private": False,
    "owner": {"login": "acme", "id": 1001, "type": "Organization"},
    "html_url": "https://github.com/acme/api",
    "url": "https://api.github.com/repos/acme/api",
    "created_at": 1430869212,  # push events send epoch seconds here; others ISO strings
    "pushed_at": 1704110400,
    "default_branch": "main",
}
SENDER = {"login": "octocat", "id": 583231, "type": "User"}

PING = {
    "zen": "Design for failure.",
    "hook_id": int(HOOK_ID),
    "hook": {
        "type": "Repository",
        "id": int(HOOK_ID),
        "events": ["push", "pull_request", "deployment_status", "workflow_run"],
        "config": {"content_type": "json", "insecure_ssl": "0", "url": "https://dorahub/..."},
    },
    "repository": REPOSITORY,
    "sender": SENDER,
}

PUSH = {
    "ref": "refs/heads/main",
    "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
    "created": False,
    "deleted": False,
    "forced": False,
    "base_ref": None,
    "compare": "https://github.com/acme/api/compare/6113728f27ae...0d1a26e67d8f",
    "commits": [
        {
            "id": "a8ab1b0e0e8ff0e6e3e5f2b1d6ae2c0a2cb4a3f1",
            "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433",
            "distinct": True,
            "message": "Add retry to payment client",
            "timestamp": "2024-01-01T09:30:00-05:00",
            "url": "https://github.com/acme/api/commit/a8ab1b0e0e8ff0e6e3e5f2b1d6ae2c0a2cb4a3f1",
            "author": {"name": "Mona", "email": "mona@example.com", "username": "mona"},
            "committer": {"name": "Mona", "email": "mona@example.com", "username": "mona"},
            "added": [],
            "removed": [],
            "modified": ["payments/client.py"],
        },
        {
            "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            "tree_id": "b1c7d0e6b9d3f0e7c6a5e4d3c2b1a0f9e8d7c6b5",
            "distinct": True,
            "message": "Fix flaky test",
            "timestamp": "2024-01-01T15:45:00Z",
            "url": "https://github.com/acme/api/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            "author": {"name": "Hubot", "email": "hubot@example.com", "username": "hubot"},
            "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
            "added": ["tests/test_client.py"],
            "removed": [],
            "modified": [],
        },
    ],
    "head_commit": None,
    "repository": REPOSITORY,
    "pusher": {"name": "mona", "email": "mona@example.com"},
    "sender": SENDER,
}
PUSH["head_commit"] = PUSH["commits"][-1]

_ISO_REPOSITORY = {
    **REPOSITORY,
    "created_at": "2015-05-05T23:40:12Z",
    "pushed_at": "2024-01-01T12:00:00Z",
}

PULL_REQUEST_MERGED = {
    "action": "closed",
    "number": 42,
    "pull_request": {
        "url": "https://api.github.com/repos/acme/api/pulls/42",
        "id": 1879112231,
        "html_url": "https://github.com/acme/api/pull/42",
        "number": 42,
        "state": "closed",
        "locked": False,
        "title": "Retry payment calls",
        "user": {"login": "mona", "id": 2001},
        "body": "Retries idempotent calls to the payment provider.",
        "created_at": "2024-01-02T08:00:00Z",
        "updated_at": "2024-01-03T10:15:00Z",
        "closed_at": "2024-01-03T10:15:00Z",
        "merged_at": "2024-01-03T10:15:00Z",
        "merge_commit_sha": "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c",
        "draft": False,
        "head": {"label": "acme:retry-payments", "ref": "retry-payments", "sha": "a8ab1b0e0e8f"},
        "base": {"label": "acme:main", "ref": "main", "sha": "6113728f27ae"},
        "merged": True,
        "merged_by": {"login": "hubot", "id": 2002},
        "commits": 2,
        "additions": 40,
        "deletions": 3,
        "changed_files": 2,
    },
    "repository": _ISO_REPOSITORY,
    "sender": SENDER,
}

DEPLOYMENT_STATUS = {
    "action": "created",
    "deployment_status": {
        "url": "https://api.github.com/repos/acme/api/deployments/1219457/statuses/2402542",
        "id": 2402542,
        "state": "success",
        "creator": {"login": "github-actions[bot]", "id": 41898282},
        "description": "",
        "environment": "production",
        "target_url": "https://github.com/acme/api/actions/runs/7368591421",
        "log_url": "https://github.com/acme/api/actions/runs/7368591421",
        "created_at": "2024-01-03T11:02:00Z",
        "updated_at": "2024-01-03T11:02:00Z",
    },
    "deployment": {
        "url": "https://api.github.com/repos/acme/api/deployments/1219457",
        "id": 1219457,
        "sha": "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c",
        "ref": "main",
        "task": "deploy",
        "payload": {},
        "original_environment": "production",
        "environment": "production",
        "description": None,
        "creator": {"login": "github-actions[bot]", "id": 41898282},
        "created_at": "2024-01-03T10:55:00Z",
        "updated_at": "2024-01-03T11:02:00Z",
        "transient_environment": False,
        "production_environment": True,
    },
    "repository": _ISO_REPOSITORY,
    "sender": SENDER,
}

WORKFLOW_RUN = {
    "action": "completed",
    "workflow_run": {
        "id": 7368591421,
        "name": "Deploy to production",
        "node_id": "WFR_kwLOAnF1xM8AAAABtzs7PQ",
        "head_branch": "main",
        "head_sha": "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c",
        "path": ".github/workflows/deploy.yml",
        "display_title": "Retry payment calls (#42)",
        "run_number": 311,
        "event": "push",
        "status": "completed",
        "conclusion": "success",
        "workflow_id": 80317722,
        "html_url": "https://github.com/acme/api/actions/runs/7368591421",
        "created_at": "2024-01-03T10:16:00Z",
        "updated_at": "2024-01-03T10:31:00Z",
        "run_attempt": 1,
        "run_started_at": "2024-01-03T10:16:05Z",
        "actor": {"login": "hubot", "id": 2002},
        "triggering_actor": {"login": "hubot", "id": 2002},
        "head_commit": {
            "id": "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c",
            "tree_id": "3f7ce9a8b1d2c4e6f8a0b2c4d6e8f0a2b4c6d8e0",
            "message": "Retry payment calls (#42)",
            "timestamp": "2024-01-03T10:15:00Z",
            "author": {"name": "Mona", "email": "mona@example.com"},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
    },
    "workflow": {
        "id": 80317722,
        "name": "Deploy to production",
        "path": ".github/workflows/deploy.yml",
    },
    "repository": _ISO_REPOSITORY,
    "sender": SENDER,
}

RELEASE_PUBLISHED = {
    "action": "published",
    "release": {
        "url": "https://api.github.com/repos/acme/api/releases/137540361",
        "html_url": "https://github.com/acme/api/releases/tag/v2.4.0",
        "id": 137540361,
        "tag_name": "v2.4.0",
        "target_commitish": "9c7e1b3f4a2d8e6c0b5a7f9d1e3c5b7a9f1d3e5c",
        "name": "v2.4.0 — payment retries",
        "draft": False,
        "prerelease": False,
        "created_at": "2024-01-03T10:15:00Z",
        "published_at": "2024-01-03T12:00:00Z",
        "author": {"login": "mona", "id": 2001},
        "assets": [],
        "body": "Payment calls are retried.",
    },
    "repository": _ISO_REPOSITORY,
    "sender": SENDER,
}

ISSUE_OPENED = {
    "action": "labeled",
    "issue": {
        "url": "https://api.github.com/repos/acme/api/issues/57",
        "html_url": "https://github.com/acme/api/issues/57",
        "id": 2063281934,
        "number": 57,
        "title": "Checkout returns 500 for card payments",
        "user": {"login": "oncall-bot", "id": 3001},
        "labels": [
            {"id": 6366791, "name": "Incident", "color": "d73a4a", "default": False},
            {"id": 6366792, "name": "sev1", "color": "b60205", "default": False},
        ],
        "state": "open",
        "locked": False,
        "assignee": None,
        "comments": 0,
        "created_at": "2024-01-03T12:30:00Z",
        "updated_at": "2024-01-03T12:31:00Z",
        "closed_at": None,
        "body": "Since 12:25 UTC card payments fail. root cause unknown.",
        "state_reason": None,
    },
    "label": {"id": 6366791, "name": "Incident", "color": "d73a4a", "default": False},
    "repository": _ISO_REPOSITORY,
    "sender": SENDER,
}

CREATE_TAG = {
    "ref": "v2.4.0",
    "ref_type": "tag",
    "master_branch": "main",
    "description": "Payments API",
    "pusher_type": "user",
    "repository": _ISO_REPOSITORY,
    "sender": SENDER,
}

STAR = {"action": "created", "starred_at": "2024-01-03T12:00:00Z", "repository": _ISO_REPOSITORY}


def changed(payload: dict[str, Any], **paths: Any) -> dict[str, Any]:
    """A deep copy with dotted paths replaced: changed(P, **{"pull_request.merged": False})."""
    result = copy.deepcopy(payload)
    for path, value in paths.items():
        *parents, last = path.split(".")
        node = result
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return result


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    client: Any,
    connection: Any,
    event: str,
    payload: Any,
    *,
    secret: str = SECRET,
    delivery: str | None = None,
    hook_id: str = HOOK_ID,
    url: str | None = None,
    content_type: str = "application/json",
    **extra: Any,
) -> Any:
    """POST one delivery the way GitHub does: raw JSON body, signed, with its headers."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "HTTP_X_GITHUB_EVENT": event,
        "HTTP_X_GITHUB_DELIVERY": delivery or str(uuid.uuid4()),
        "HTTP_X_GITHUB_HOOK_ID": hook_id,
        "HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_TYPE": "repository",
        "HTTP_USER_AGENT": "GitHub-Hookshot/2f5e7a1",
        "HTTP_X_HUB_SIGNATURE_256": sign(body, secret),
        **extra,
    }
    return client.post(
        url or f"/api/v1/connections/{connection.pk}/github",
        data=body,
        content_type=content_type,
        **headers,
    )
