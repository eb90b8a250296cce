"""The write path for pull requests (DevLake's `pull_requests`): the PR and its stages are
stored, and a merged PR records its merge (or squash) commit as a change that started at the
earliest of the PR's creation and its first commit (METRICS.md), so a squash merge keeps the
true start of the work."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from apps.connections.models import Connection
from apps.deployments.changes import ensure_repositories, record_change
from apps.deployments.models import PullRequest, PullRequestStatus


@dataclass(frozen=True)
class PullRequestData:
    external_id: str
    status: str
    opened_at: datetime
    number: int | None = None
    title: str = ""
    url: str = ""
    original_status: str = ""
    repo_url: str = ""
    base_ref: str = ""
    head_ref: str = ""
    author: str = ""
    merge_commit_sha: str = ""
    first_commit_at: datetime | None = None
    first_review_at: datetime | None = None
    merged_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class PullRequestWrite:
    pull_request: PullRequest
    created: bool
    changed: bool


def record_pull_request(*, connection: Connection, data: PullRequestData) -> PullRequestWrite:
    """Create or update the PR (identity: connection + the sender's id); a merged one with a
    merge commit records that commit as a change."""
    project = connection.project
    repositories = ensure_repositories(project=project, urls=[data.repo_url])
    values = {
        "project": project,
        "number": data.number,
        "title": data.title[:1000],
        "url": data.url[:1000],
        "status": data.status,
        "original_status": data.original_status[:64],
        "repository": repositories.get(data.repo_url),
        "base_ref": data.base_ref[:300],
        "head_ref": data.head_ref[:300],
        "author": data.author[:200],
        "merge_commit_sha": data.merge_commit_sha,
        "opened_at": data.opened_at,
        "first_commit_at": data.first_commit_at,
        "first_review_at": data.first_review_at,
        "merged_at": data.merged_at,
        "closed_at": data.closed_at,
    }
    with transaction.atomic():
        pull_request, created = PullRequest.objects.select_for_update().get_or_create(
            connection=connection, external_id=data.external_id, defaults=values
        )
        changed = created or any(getattr(pull_request, k) != v for k, v in values.items())
        if not created and changed:
            for name, value in values.items():
                setattr(pull_request, name, value)
        commit_changed = False
        merged = data.status == PullRequestStatus.MERGED and data.merge_commit_sha
        if merged:
            commit, commit_changed = record_change(
                project=project,
                sha=data.merge_commit_sha,
                # The earliest the PR knows of: its first commit, else its opening.
                reported_at=min(t for t in (data.opened_at, data.first_commit_at) if t),
                merged_at=data.merged_at,
                repo_url=data.repo_url,
                message=data.title,
            )
            if pull_request.merge_commit_id != commit.pk:
                pull_request.merge_commit = commit
                changed = True
        if changed and not created:
            pull_request.save()
        elif created and merged:
            pull_request.save(update_fields=["merge_commit", "modified"])
    return PullRequestWrite(
        pull_request=pull_request, created=created, changed=changed or commit_changed
    )
