"""Writes for repositories and changes (commits): every reported change goes through
`record_change` or `record_changes`, and a change's start is the earliest time ever known for it."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least

from apps.connections.models import Project
from apps.deployments.inference import ChangeRow, infer_for_changes
from apps.deployments.models import Commit, Deployment, Repository
from apps.deployments.repositories import display_name, normalize_url
from apps.deployments.resolutions import names_keys, refresh_for_commits
from apps.marks.services import mark_dirty


@dataclass(frozen=True)
class CommitRef:
    sha: str
    repo_url: str = ""
    ref_name: str = ""
    name: str = ""
    message: str = ""
    authored_at: datetime | None = None


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
    """Create missing changes and return them by sha; never moves a known start later. A known
    change's message arriving now (it had none) refreshes the keys of the deployments holding it."""
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
    named: list[int] = []
    for ref in refs:
        commit = commits[ref.sha]
        updates: dict[str, object] = {}
        if commit.repository_id is None and repositories.get(ref.repo_url):
            updates["repository"] = repositories[ref.repo_url]
        if not commit.message and ref.message:
            updates["message"] = ref.message
            if names_keys(ref.message):
                named.append(commit.pk)
        if ref.authored_at and (commit.authored_at is None or ref.authored_at < commit.authored_at):
            updates["authored_at"] = ref.authored_at
            updates["start_at"] = Coalesce(
                Least(F("start_at"), Value(ref.authored_at)), Value(ref.authored_at)
            )
        if updates:
            Commit.objects.filter(pk=commit.pk).update(**updates)
            if "start_at" in updates:
                commit.refresh_from_db(fields=["start_at", "authored_at"])
    # Deployments already shipping the change (a push arriving after the deployment) may now
    # resolve the keys its message names.
    refresh_for_commits(commit_ids=named)
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
        mark_shipped_days_dirty(project=project, commit_ids=[commit.pk])
    if created or moved:
        infer_for_changes(
            project_id=project.pk,
            changes=[ChangeRow(commit.pk, sha, commit.repository_id, commit.start_at)],
        )
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
    after = [
        ChangeRow(*row)
        for row in Commit.objects.filter(project=project, sha__in=shas).values_list(
            "pk", "sha", "repository_id", "start_at"
        )
    ]
    moved = {c.pk for c in after if c.sha in known and c.start_at != known[c.sha]}
    if moved:
        mark_shipped_days_dirty(project=project, commit_ids=list(moved))
    infer_for_changes(
        project_id=project.pk, changes=[c for c in after if c.pk in moved or c.sha not in known]
    )
    return len(refs) - len(known)


@dataclass(frozen=True)
class ReportedChange:
    """One reported change of a batch, with its own times: `reported_at` when it was pushed or
    reported, `authored_at` when it was written (either may be missing)."""

    sha: str
    repo_url: str = ""
    service: str = ""
    reported_at: datetime | None = None
    authored_at: datetime | None = None


@dataclass(frozen=True)
class RecordedChange:
    commit: Commit
    changed: bool


def _earliest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _at_most(field: str, value: datetime | None) -> object:
    """SQL: the stored time, or `value` where that is earlier (or nothing is stored)."""
    if value is None:
        return F(field)
    return Coalesce(Least(F(field), Value(value)), Value(value))


def record_reported_changes(
    *, project: Project, reports: Sequence[ReportedChange]
) -> list[RecordedChange]:
    """Record many reported changes, each with its own times, by `record_change`'s rules in a
    number of queries that does not grow with the changes (a Pulse batch). Answers one
    RecordedChange per report, in order: `changed` as `record_change` would have answered
    them one after the other (a sha repeated in the batch: only a report that makes a time
    earlier than the ones before it, or gives a missing service, counts as changed)."""
    if not reports:
        return []
    merged: dict[str, ReportedChange] = {}
    for r in reports:
        m = merged.get(r.sha)
        merged[r.sha] = (
            r
            if m is None
            else ReportedChange(
                sha=r.sha,
                repo_url=m.repo_url or r.repo_url,
                service=m.service or r.service,
                reported_at=_earliest(m.reported_at, r.reported_at),
                authored_at=_earliest(m.authored_at, r.authored_at),
            )
        )
    shas = list(merged)
    known = {
        c.sha: c
        for c in Commit.objects.filter(project=project, sha__in=shas).only(
            "pk", "sha", "repository_id", "service", "reported_at", "authored_at", "start_at"
        )
    }
    repositories = ensure_repositories(project=project, urls=[r.repo_url for r in reports])
    Commit.objects.bulk_create(
        [
            Commit(
                project=project,
                sha=m.sha,
                repository=repositories.get(m.repo_url),
                service=m.service,
                reported_at=m.reported_at,
                authored_at=m.authored_at,
                start_at=_earliest(m.reported_at, m.authored_at),
            )
            for m in merged.values()
            if m.sha not in known
        ],
        ignore_conflicts=True,
    )
    updates = []
    for sha, commit in known.items():
        m = merged[sha]
        repository = repositories.get(m.repo_url)
        earlier_report = m.reported_at is not None and (
            commit.reported_at is None or m.reported_at < commit.reported_at
        )
        earlier_author = m.authored_at is not None and (
            commit.authored_at is None or m.authored_at < commit.authored_at
        )
        gives_repository = commit.repository_id is None and repository is not None
        gives_service = bool(m.service) and not commit.service
        if not (earlier_report or earlier_author or gives_repository or gives_service):
            continue
        row = Commit(pk=commit.pk)
        row.repository_id = (
            Coalesce(F("repository_id"), Value(repository.pk))
            if gives_repository and repository
            else F("repository_id")
        )
        row.service = (
            Case(When(service="", then=Value(m.service)), default=F("service"))
            if gives_service
            else F("service")
        )
        row.reported_at = _at_most("reported_at", m.reported_at if earlier_report else None)  # type: ignore[assignment]
        row.authored_at = _at_most("authored_at", m.authored_at if earlier_author else None)  # type: ignore[assignment]
        row.start_at = _at_most(  # type: ignore[assignment]
            "start_at",
            _earliest(
                m.reported_at if earlier_report else None,
                m.authored_at if earlier_author else None,
            ),
        )
        updates.append(row)
    if updates:
        Commit.objects.bulk_update(
            updates, ["repository_id", "service", "reported_at", "authored_at", "start_at"]
        )
    after = {c.sha: c for c in Commit.objects.filter(project=project, sha__in=shas)}
    moved = {sha for sha, c in after.items() if sha in known and c.start_at != known[sha].start_at}
    if moved:
        mark_shipped_days_dirty(project=project, commit_ids=[after[sha].pk for sha in moved])
    infer_for_changes(
        project_id=project.pk,
        changes=[
            ChangeRow(c.pk, c.sha, c.repository_id, c.start_at)
            for sha, c in after.items()
            if sha not in known or sha in moved
        ],
    )
    return _answers(reports, known=known, after=after, moved=moved)


def _answers(
    reports: Sequence[ReportedChange],
    *,
    known: dict[str, Commit],
    after: dict[str, Commit],
    moved: set[str],
) -> list[RecordedChange]:
    """What `record_change` answered for each report, one after the other."""
    seen: dict[str, tuple[datetime | None, str]] = {}  # sha -> (reported_at, service) so far
    answers = []
    for r in reports:
        if r.sha in seen:
            reported_at, service = seen[r.sha]
            changed = (
                r.reported_at is not None and (reported_at is None or r.reported_at < reported_at)
            ) or (bool(r.service) and not service)
            # a start moved by a repeat is counted once, on the first report
        else:
            before = known.get(r.sha)
            if before is None:
                changed = True
                reported_at, service = None, ""
            else:
                reported_at, service = before.reported_at, before.service
                changed = (
                    r.sha in moved
                    or (
                        r.reported_at is not None
                        and (reported_at is None or r.reported_at < reported_at)
                    )
                    or (bool(r.service) and not service)
                )
        seen[r.sha] = (_earliest(reported_at, r.reported_at), service or r.service)
        answers.append(RecordedChange(commit=after[r.sha], changed=changed))
    return answers


def mark_shipped_days_dirty(*, project: Project, commit_ids: Sequence[int]) -> None:
    """A change reported after its deployment moved its start: that lead time changed."""
    shipped = Deployment.objects.filter(
        deployment_commits__commit_id__in=commit_ids, finished_at__isnull=False
    ).values_list("environment", "finished_at")
    by_environment: dict[str, list[datetime | None]] = {}
    for environment, finished_at in shipped:
        by_environment.setdefault(environment, []).append(finished_at)
    for environment, instants in by_environment.items():
        mark_dirty(project=project, environment=environment, instants=instants)
