"""Pushes, pull requests and tags: changes and their lifecycle events."""

from datetime import datetime
from typing import Any

from rest_framework import status

from apps.connections.models import Connection
from apps.deployments.changes import CommitRef, record_change, record_changes
from apps.events.services import record_event
from apps.ingest.receivers import Outcome
from apps.integrations.github import serializers as s
from apps.integrations.github.answers import accepted, ignored, validated


def on_push(*, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
    data = validated(s.PushSerializer, payload)
    repo = data["repository"]
    commits = data.get("commits", [])
    refs = [
        CommitRef(
            sha=commit["id"],
            repo_url=repo["html_url"],
            message=commit["message"],
            authored_at=commit["timestamp"],
        )
        for commit in commits
    ]
    new = record_changes(project=connection.project, refs=refs, reported_at=received_at)
    recorded = record_event(
        connection=connection,
        repo=repo["full_name"],
        event="push",
        occurred_at=received_at,
        data={
            "ref": data["ref"],
            "before": data["before"],
            "after": data["after"],
            "deleted": data["deleted"],
            "commit_count": len(commits),
            "commits": [commit["id"] for commit in commits[:20]],
            "pusher": data.get("pusher", {}).get("name", ""),
        },
    )
    return Outcome(
        status_code=status.HTTP_200_OK,
        body=accepted("push", lifecycle_event=recorded.name, changes=len(refs), new_changes=new),
    )


def on_pull_request(*, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
    data = validated(s.PullRequestSerializer, payload)
    action, pr, repo = data["action"], data["pull_request"], data["repository"]
    event_data = {
        "number": pr["number"],
        "title": pr["title"],
        "url": pr["html_url"],
        "created_at": pr["created_at"].isoformat(),
        "base": pr.get("base", {}).get("ref", ""),
        "head": pr.get("head", {}).get("ref", ""),
        "author": pr.get("user", {}).get("login", ""),
    }
    if action == "closed" and pr["merged"]:
        # The merge commit's change starts no later than the pull request that made it.
        record_change(
            project=connection.project,
            sha=pr["merge_commit_sha"],
            reported_at=pr["created_at"],
            merged_at=pr["merged_at"],
            repo_url=repo["html_url"],
            message=pr["title"],
        )
        event, occurred_at = "pull_request.merged", pr["merged_at"]
        event_data |= {
            "merged_at": pr["merged_at"].isoformat(),
            "merge_commit_sha": pr["merge_commit_sha"],
        }
    elif action == "closed":
        event, occurred_at = "pull_request.closed", pr["closed_at"] or received_at
    elif action == "opened":
        event, occurred_at = "pull_request.opened", pr["created_at"]
    else:
        return ignored("pull_request", f"Action {action!r} is not used.")
    recorded = record_event(
        connection=connection,
        repo=repo["full_name"],
        event=event,
        occurred_at=occurred_at,
        data=event_data,
    )
    return Outcome(
        status_code=status.HTTP_200_OK,
        body=accepted("pull_request", action=action, lifecycle_event=recorded.name),
    )


def on_create(*, connection: Connection, payload: Any, received_at: datetime) -> Outcome:
    data = validated(s.CreateSerializer, payload)
    if data["ref_type"] != "tag":
        return ignored("create", f"Creating a {data['ref_type']} is not used.")
    recorded = record_event(
        connection=connection,
        repo=data["repository"]["full_name"],
        event="create.tag",
        occurred_at=received_at,
        data={"tag": data["ref"], "default_branch": data["master_branch"]},
    )
    return Outcome(
        status_code=status.HTTP_200_OK,
        body=accepted("create", ref_type="tag", lifecycle_event=recorded.name),
    )
