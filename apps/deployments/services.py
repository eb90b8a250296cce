"""Writes for repositories, changes and deployments. Every source's deployment goes through
`upsert_deployment`; every reported change through `record_changes`."""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Least

from apps.connections.models import Connection, Project
from apps.deployments.models import (
    Commit,
    Deployment,
    DeploymentCommit,
    DeploymentResult,
    Repository,
)
from apps.deployments.repositories import display_name, normalize_url
from apps.events.services import record_event
from apps.marks.services import mark_dirty


@dataclass(frozen=True)
class CommitRef:
    sha: str
    repo_url: str = ""
    ref_name: str = ""
    name: str = ""
    message: str = ""
    authored_at: datetime | None = None


@dataclass(frozen=True)
class DeploymentData:
    """A deployment in DORA Hub's vocabulary, whatever the sender called things."""

    finished_at: datetime | None  # None while in progress
    commits: Sequence[CommitRef]
    external_id: str = ""
    environment: str = "PRODUCTION"
    result: str = "SUCCESS"
    name: str = ""
    repo_url: str = ""
    ref_name: str = ""
    commit_sha: str = ""
    pipeline_id: str = ""
    service: str = ""
    created_at: datetime | None = None
    started_at: datetime | None = None
    is_rollback: bool = False
    is_hotfix: bool = False
    resolves: Sequence[str] = field(default_factory=tuple)
    # The sender gave no finish time and `finished_at` is when it arrived: a retry arriving
    # later (after midnight, on another day) keeps the first arrival's.
    finished_at_is_arrival: bool = False

    def identity(self) -> str:
        """The id within a connection: the sender's id, else its pipeline id, else a digest."""
        if self.external_id:
            return self.external_id
        if self.pipeline_id:
            return f"pipeline:{self.pipeline_id}"
        shas = sorted({c.sha for c in self.commits} | ({self.commit_sha} - {""}))
        instant = self.started_at or self.finished_at
        assert instant is not None, "a deployment without an id has a start or finish time"
        start = instant.isoformat()
        material = json.dumps([shas, start, self.environment])
        return "digest:" + hashlib.sha256(material.encode()).hexdigest()[:40]

    def digest(self) -> str:
        material = asdict(self)
        if self.finished_at_is_arrival:
            material["finished_at"] = None  # an identical retry is the same payload
        return hashlib.sha256(
            json.dumps(material, default=str, sort_keys=True).encode()
        ).hexdigest()


@dataclass(frozen=True)
class UpsertResult:
    deployment: Deployment
    created: bool
    changed: bool
    commit_count: int
    previous_finished_at: datetime | None = None
    previous_environment: str | None = None
    stale: bool = False  # an in-progress report arriving after the result: not applied


def is_late(*, stored: Deployment, data: DeploymentData) -> bool:
    """A finished deployment never moves back to in progress (a late or replayed report)."""
    return stored.result != DeploymentResult.IN_PROGRESS and (
        data.result == DeploymentResult.IN_PROGRESS
    )


def ensure_repositories(*, project: Project, urls: Iterable[str]) -> dict[str, Repository]:
    """Map each raw URL to its Repository row, creating missing ones (two queries)."""
    by_raw = {raw: normalize_url(raw) for raw in urls if raw}
    if not by_raw:
        return {}
    normalized = set(by_raw.values())
    Repository.objects.bulk_create(
        [Repository(project=project, url=url, name=display_name(url)) for url in normalized],
        ignore_conflicts=True,
    )
    rows = {r.url: r for r in Repository.objects.filter(project=project, url__in=normalized)}
    return {raw: rows[url] for raw, url in by_raw.items()}


def ensure_commits(
    *,
    project: Project,
    refs: Sequence[CommitRef],
    repositories: dict[str, Repository],
    service: str = "",
) -> dict[str, Commit]:
    """Create missing changes and return them by sha; never moves a known start later."""
    if not refs:
        return {}
    Commit.objects.bulk_create(
        [
            Commit(
                project=project,
                sha=ref.sha,
                repository=repositories.get(ref.repo_url),
                message=ref.message,
                service=service,
                authored_at=ref.authored_at,
                start_at=ref.authored_at,
            )
            for ref in refs
        ],
        ignore_conflicts=True,
    )
    commits = {
        c.sha: c for c in Commit.objects.filter(project=project, sha__in=[r.sha for r in refs])
    }
    for ref in refs:
        commit = commits[ref.sha]
        updates: dict[str, object] = {}
        if commit.repository_id is None and repositories.get(ref.repo_url):
            updates["repository"] = repositories[ref.repo_url]
        if not commit.message and ref.message:
            updates["message"] = ref.message
        if ref.authored_at and (commit.authored_at is None or ref.authored_at < commit.authored_at):
            updates["authored_at"] = ref.authored_at
            updates["start_at"] = Coalesce(
                Least(F("start_at"), Value(ref.authored_at)), Value(ref.authored_at)
            )
        if updates:
            Commit.objects.filter(pk=commit.pk).update(**updates)
            if "start_at" in updates:
                commit.refresh_from_db(fields=["start_at", "authored_at"])
    return commits


def record_change(
    *,
    project: Project,
    sha: str,
    reported_at: datetime | None,
    authored_at: datetime | None = None,
    repo_url: str = "",
    message: str = "",
    service: str = "",
    merged_at: datetime | None = None,
) -> tuple[Commit, bool]:
    """Record a reported change (Pulse `change`, a push, a merged PR); its start is the earliest
    time ever known for it, so reports arriving in any order give the same lead time."""
    repositories = ensure_repositories(project=project, urls=[repo_url])
    known = Commit.objects.filter(project=project, sha=sha).values_list("start_at").first()
    created = known is None
    ref = CommitRef(sha=sha, repo_url=repo_url, message=message, authored_at=authored_at)
    commit = ensure_commits(
        project=project, refs=[ref], repositories=repositories, service=service
    )[sha]
    updates: dict[str, object] = {}
    if reported_at and (commit.reported_at is None or reported_at < commit.reported_at):
        updates["reported_at"] = reported_at
        updates["start_at"] = Coalesce(Least(F("start_at"), Value(reported_at)), Value(reported_at))
    if merged_at and commit.merged_at is None:
        updates["merged_at"] = merged_at
    if service and not commit.service:
        updates["service"] = service
    if updates:
        Commit.objects.filter(pk=commit.pk).update(**updates)
        commit.refresh_from_db()
    moved = known is not None and commit.start_at != known[0]
    if moved:
        _mark_shipped_days_dirty(project=project, commit_ids=[commit.pk])
    return commit, created or moved or bool(updates)


def record_changes(
    *, project: Project, refs: Sequence[CommitRef], reported_at: datetime | None, service: str = ""
) -> int:
    """Record many reported changes at once (a push) by `record_change`'s rules, in a number
    of queries that does not grow with the commits; returns how many were new."""
    refs = list({ref.sha: ref for ref in refs}.values())
    if not refs:
        return 0
    shas = [ref.sha for ref in refs]
    known = dict(
        Commit.objects.filter(project=project, sha__in=shas).values_list("sha", "start_at")
    )
    repositories = ensure_repositories(project=project, urls=[ref.repo_url for ref in refs])
    ensure_commits(project=project, refs=refs, repositories=repositories, service=service)
    if reported_at is not None:
        Commit.objects.filter(project=project, sha__in=shas).filter(
            Q(reported_at__isnull=True) | Q(reported_at__gt=reported_at)
        ).update(
            reported_at=reported_at,
            start_at=Coalesce(Least(F("start_at"), Value(reported_at)), Value(reported_at)),
        )
    if known:
        after = Commit.objects.filter(project=project, sha__in=list(known)).values_list(
            "pk", "sha", "start_at"
        )
        moved = [pk for pk, sha, start_at in after if start_at != known[sha]]
        if moved:
            _mark_shipped_days_dirty(project=project, commit_ids=moved)
    return len(refs) - len(known)


def _mark_shipped_days_dirty(*, project: Project, commit_ids: Sequence[int]) -> None:
    """A change reported after its deployment moved its start: that lead time changed."""
    shipped = Deployment.objects.filter(
        deployment_commits__commit_id__in=commit_ids, finished_at__isnull=False
    ).values_list("environment", "finished_at")
    by_environment: dict[str, list[datetime | None]] = {}
    for environment, finished_at in shipped:
        by_environment.setdefault(environment, []).append(finished_at)
    for environment, instants in by_environment.items():
        mark_dirty(project=project, environment=environment, instants=instants)


def upsert_deployment(*, connection: Connection, data: DeploymentData) -> UpsertResult:
    """Create or update the deployment `data` describes; a re-post replaces its commit set."""
    project = connection.project
    refs = list({ref.sha: ref for ref in data.commits}.values())
    identity = data.identity()
    digest = data.digest()
    with transaction.atomic(savepoint=False):
        existing = (
            Deployment.objects.select_for_update()
            .filter(connection=connection, external_id=identity)
            .first()
        )
        if existing is not None and existing.payload_digest == digest:
            # Same digest, same payload: the stored commit set is the payload's.
            return UpsertResult(
                deployment=existing, created=False, changed=False, commit_count=len(refs)
            )
        if existing is not None and is_late(stored=existing, data=data):
            return UpsertResult(
                deployment=existing,
                created=False,
                changed=False,
                commit_count=len(refs),
                stale=True,
            )

        urls = [data.repo_url, *(c.repo_url for c in refs)]
        repositories = ensure_repositories(project=project, urls=urls)
        commits = ensure_commits(
            project=project, refs=refs, repositories=repositories, service=data.service
        )
        fields = {
            "project": project,
            "name": data.name or f"deployment for {data.commit_sha or data.commits[0].sha}",
            "environment": data.environment,
            "result": data.result,
            "service": data.service,
            "repository": repositories.get(data.repo_url)
            or (repositories.get(data.commits[0].repo_url) if data.commits else None),
            "ref_name": data.ref_name,
            "commit_sha": data.commit_sha or (data.commits[0].sha if data.commits else ""),
            "pipeline_id": data.pipeline_id,
            "created_at": data.created_at,
            "started_at": data.started_at,
            "finished_at": (
                existing.finished_at
                if existing is not None
                and data.finished_at_is_arrival
                and existing.finished_at is not None
                else data.finished_at
            ),
            "is_rollback": data.is_rollback,
            "is_hotfix": data.is_hotfix,
            "resolves": list(data.resolves),
            "payload_digest": digest,
        }
        created = existing is None
        previous = (existing.finished_at, existing.environment) if existing else (None, None)
        if existing is None:
            try:
                with transaction.atomic():
                    deployment = Deployment.objects.create(
                        connection=connection, external_id=identity, **fields
                    )
            except IntegrityError:
                # A concurrent delivery created it first: update that row instead.
                created = False
                deployment = Deployment.objects.select_for_update().get(
                    connection=connection, external_id=identity
                )
                if deployment.payload_digest == digest:
                    # A retry of the same payload racing itself: a duplicate, not an update
                    # (an update would re-run follow-ups and record a second lifecycle event).
                    return UpsertResult(
                        deployment=deployment, created=False, changed=False, commit_count=len(refs)
                    )
                _assign(deployment, fields)
        else:
            deployment = existing
            _assign(deployment, fields)

        _replace_commits(
            deployment=deployment, refs=refs, commits=commits, repositories=repositories
        )
        result = UpsertResult(
            deployment=deployment,
            created=created,
            changed=True,
            commit_count=len(refs),
            previous_finished_at=previous[0],
            previous_environment=previous[1],
        )
        _after_write(connection=connection, result=result)
    return result


def _after_write(*, connection: Connection, result: UpsertResult) -> None:
    """The one hook point for metrics and lifecycle events of a written deployment."""
    deployment = result.deployment
    marks = [(deployment.environment, deployment.finished_at)]
    if result.previous_finished_at is not None:
        marks.append(
            (result.previous_environment or deployment.environment, result.previous_finished_at)
        )
    for environment, instant in marks:
        if instant is not None:
            mark_dirty(project=deployment.project, environment=environment, instants=[instant])
    event = {
        "SUCCESS": "deployment.succeeded",
        "FAILURE": "deployment.failed",
        "ABORT": "deployment.failed",
        "IN_PROGRESS": "deployment.started",
    }.get(deployment.result)
    if event:
        record_event(
            connection=connection,
            repo=deployment.repository.name if deployment.repository else "",
            event=event,
            occurred_at=deployment.finished_at or deployment.started_at,
            data={
                "deployment_id": deployment.pk,
                "external_id": deployment.external_id,
                "environment": deployment.environment,
                "result": deployment.result,
                "service": deployment.service,
                "commit_sha": deployment.commit_sha,
            },
            insight=True,
        )


def _assign(deployment: Deployment, fields: dict[str, object]) -> None:
    for name, value in fields.items():
        setattr(deployment, name, value)
    deployment.save()


def _replace_commits(
    *,
    deployment: Deployment,
    refs: Sequence[CommitRef],
    commits: dict[str, Commit],
    repositories: dict[str, Repository],
) -> None:
    keep = [commits[ref.sha].pk for ref in refs]
    DeploymentCommit.objects.filter(deployment=deployment).exclude(commit_id__in=keep).delete()
    DeploymentCommit.objects.bulk_create(
        [
            DeploymentCommit(
                deployment=deployment,
                commit=commits[ref.sha],
                repository=repositories.get(ref.repo_url),
                ref_name=ref.ref_name,
                name=ref.name,
                message=ref.message,
            )
            for ref in refs
        ],
        update_conflicts=True,
        unique_fields=["deployment", "commit"],
        update_fields=["repository", "ref_name", "name", "message"],
    )
