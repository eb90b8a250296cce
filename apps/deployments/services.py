"""Writes for deployments: every source's deployment goes through `upsert_deployment`. Changes
and repositories are written by `apps.deployments.changes`."""

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction

from apps.connections.models import Connection, Project
from apps.deployments.changes import (
    CommitRef,
    ensure_commits,
    ensure_repositories,
)
from apps.deployments.inference import ChangeRow, infer_for_changes
from apps.deployments.models import (
    Commit,
    Deployment,
    DeploymentCommit,
    DeploymentResult,
    Repository,
)
from apps.deployments.resolutions import refresh_resolved_keys
from apps.events.services import EventSpec, record_event, record_events
from apps.marks.services import mark_dirty

_TIMES = ("finished_at", "created_at", "started_at")


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def _instant(text: str | None) -> datetime | None:
    # Every time a serializer gives is UTC (apps.core.time), so the digest reads the same.
    return datetime.fromisoformat(text).astimezone(UTC) if text is not None else None


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

    def to_json(self) -> dict[str, Any]:
        """What the inbox stores of it once validated (`from_json` reads it back)."""
        values = asdict(self)
        for name in _TIMES:
            values[name] = _iso(values[name])
        values["commits"] = [
            {**commit, "authored_at": _iso(commit["authored_at"])} for commit in values["commits"]
        ]
        values["resolves"] = list(self.resolves)
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> "DeploymentData":
        values = dict(values)
        for name in _TIMES:
            values[name] = _instant(values[name])
        values["commits"] = tuple(
            CommitRef(**{**commit, "authored_at": _instant(commit["authored_at"])})
            for commit in values["commits"]
        )
        values["resolves"] = tuple(values["resolves"])
        return cls(**values)

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
        fields = deployment_fields(
            data, project=project, repositories=repositories, digest=digest, existing=existing
        )
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
            deployment=deployment,
            refs=refs,
            commits=commits,
            repositories=repositories,
            is_new=created,
        )
        # Its `resolves` and commit messages were just written: its keys follow them.
        refresh_resolved_keys(deployment_ids=[deployment.pk])
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


def deployment_fields(
    data: DeploymentData,
    *,
    project: Project,
    repositories: dict[str, Repository],
    digest: str,
    existing: Deployment | None = None,
) -> dict[str, object]:
    """The columns of the deployment `data` describes (over `existing`, when re-posted)."""
    return {
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
    spec = lifecycle_event(deployment)
    if spec is not None:
        record_event(
            connection=connection,
            repo=spec.repo,
            event=spec.event,
            occurred_at=spec.occurred_at,
            data=spec.data,
            insight=spec.insight,
        )


def lifecycle_event(deployment: Deployment) -> EventSpec | None:
    """The lifecycle event a written deployment emits, by its result."""
    event = {
        "SUCCESS": "deployment.succeeded",
        "FAILURE": "deployment.failed",
        "ABORT": "deployment.failed",
        "IN_PROGRESS": "deployment.started",
    }.get(deployment.result)
    if not event:
        return None
    return EventSpec(
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


def upsert_deployments(
    *, connection: Connection, datas: Sequence[DeploymentData]
) -> list[UpsertResult]:
    """`upsert_deployment` for many deliveries of one connection, in their order: the
    deployments the connection has not seen (once each) are written together, a few statements
    for all of them; a known or repeated one goes through `upsert_deployment`, in order."""
    identities = [data.identity() for data in datas]
    results: list[UpsertResult | None] = [None] * len(datas)
    with transaction.atomic(savepoint=False):
        known = set(
            Deployment.objects.filter(
                connection=connection, external_id__in=identities
            ).values_list("external_id", flat=True)
        )
        repeated = {identity for identity, n in Counter(identities).items() if n > 1}
        fresh = [i for i, identity in enumerate(identities) if identity not in known | repeated]
        if fresh:
            try:
                with transaction.atomic():
                    created = _create_deployments(
                        connection=connection,
                        datas=[datas[i] for i in fresh],
                        identities=[identities[i] for i in fresh],
                    )
            except IntegrityError:
                created = []  # a concurrent writer got there first: each is decided alone
            for i, result in zip(fresh, created, strict=False):
                results[i] = result
        for i, data in enumerate(datas):
            if results[i] is None:
                results[i] = upsert_deployment(connection=connection, data=data)
    return [result for result in results if result is not None]


def _create_deployments(
    *, connection: Connection, datas: Sequence[DeploymentData], identities: Sequence[str]
) -> list[UpsertResult]:
    """Insert deployments known to be new, with their repositories, changes, commit sets,
    resolved keys, dirty days and lifecycle events: a few statements each, for all of them."""
    project = connection.project
    refs = [list({ref.sha: ref for ref in data.commits}.values()) for data in datas]
    repositories = ensure_repositories(
        project=project,
        urls=[url for data, own in zip(datas, refs, strict=True) for url in _urls(data, own)],
    )
    commits: dict[str, Commit] = {}
    by_service: dict[str, dict[str, CommitRef]] = defaultdict(dict)
    for data, own in zip(datas, refs, strict=True):
        for ref in own:
            by_service[data.service].setdefault(ref.sha, ref)
    for service, service_refs in by_service.items():
        unseen = [ref for sha, ref in service_refs.items() if sha not in commits]
        commits.update(
            ensure_commits(project=project, refs=unseen, repositories=repositories, service=service)
        )
    deployments = Deployment.objects.bulk_create(
        [
            Deployment(
                connection=connection,
                external_id=identity,
                **deployment_fields(
                    data, project=project, repositories=repositories, digest=data.digest()
                ),
            )
            for data, identity in zip(datas, identities, strict=True)
        ]
    )
    DeploymentCommit.objects.bulk_create(
        [
            row
            for deployment, own in zip(deployments, refs, strict=True)
            for row in _listed_rows(deployment, own, commits=commits, repositories=repositories)
        ]
    )
    refresh_resolved_keys(deployment_ids=[deployment.pk for deployment in deployments])
    days: dict[str, list[datetime]] = defaultdict(list)
    for deployment in deployments:
        if deployment.finished_at is not None:
            days[deployment.environment].append(deployment.finished_at)
    for environment, instants in days.items():
        mark_dirty(project=project, environment=environment, instants=instants)
    record_events(
        connection=connection,
        specs=[spec for d in deployments if (spec := lifecycle_event(d)) is not None],
    )
    return [
        UpsertResult(deployment=deployment, created=True, changed=True, commit_count=len(own))
        for deployment, own in zip(deployments, refs, strict=True)
    ]


def _listed_rows(
    deployment: Deployment,
    refs: Sequence[CommitRef],
    *,
    commits: dict[str, Commit],
    repositories: dict[str, Repository],
) -> list[DeploymentCommit]:
    """The commit-set rows of the commits a deployment's payload lists."""
    return [
        DeploymentCommit(
            deployment=deployment,
            commit=commits[ref.sha],
            repository=repositories.get(ref.repo_url),
            ref_name=ref.ref_name,
            name=ref.name,
            message=ref.message,
        )
        for ref in refs
    ]


def _urls(data: DeploymentData, refs: Sequence[CommitRef]) -> list[str]:
    return [data.repo_url, *(ref.repo_url for ref in refs)]


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
    is_new: bool,
) -> None:
    keep = [commits[ref.sha].pk for ref in refs]
    dropped = DeploymentCommit.objects.filter(deployment=deployment).exclude(commit_id__in=keep)
    # A commit this deployment no longer lists may now be inferred by a later one.
    unlisted = (
        []
        if is_new
        else [
            ChangeRow(*row)
            for row in dropped.filter(inferred=False).values_list(
                "commit_id", "commit__sha", "commit__repository_id", "commit__start_at"
            )
        ]
    )
    if not is_new:
        dropped.delete()
    DeploymentCommit.objects.bulk_create(
        _listed_rows(deployment, refs, commits=commits, repositories=repositories),
        update_conflicts=True,
        unique_fields=["deployment", "commit"],
        update_fields=["repository", "ref_name", "name", "message"],
    )
    if unlisted:
        infer_for_changes(project_id=deployment.project_id, changes=unlisted)
