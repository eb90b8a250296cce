"""What a deployment contains when it names only its head commit (METRICS.md):

    where it names only its head commit and the previous deployment of the same repository and
    environment is known, it also contains the commits recorded between the two (from push
    events or git history pushed by the CLI).

"Between" is by the changes' start times: a commit of the same repository that started after the
previous deployment's head and no later than this head. Git ancestry is not known to DORA Hub;
start times are what push events and the CLI record. Commits an earlier deployment listed in
its payload are not counted again.

Inferred rows are flagged and decided again from the stored rows whenever what they depend on
changes, so the result does not depend on the order deliveries arrive in:
- a deployment written: itself and the next one of its lane (whose previous one it may be),
  and the deployments whose ranges hold the commits it lists (listed now, so left out there);
- a change recorded or its start moved (`infer_for_changes`, called by the change writers), or
  no longer listed by a re-posted deployment (called by the deployment upsert): the deployments
  whose range holds its start, whose head or previous head it is, or that hold it."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from apps.deployments.models import (
    Commit,
    Deployment,
    DeploymentCommit,
    DeploymentResult,
)
from apps.deployments.resolutions import refresh_resolved_keys
from apps.marks.services import mark_dirty

_SUCCESS = DeploymentResult.SUCCESS


def _lane(deployment: Deployment) -> Q:
    return Q(
        project_id=deployment.project_id,
        environment=deployment.environment,
        repository_id=deployment.repository_id,
        result=_SUCCESS,
        finished_at__isnull=False,
    ) & ~Q(commit_sha="")


def previous_deployment(*, deployment: Deployment) -> Deployment | None:
    return (
        Deployment.objects.filter(_lane(deployment), finished_at__lt=deployment.finished_at)
        .exclude(pk=deployment.pk)
        .order_by("-finished_at", "-external_id", "-pk")
        .first()
    )


def next_deployment(*, deployment: Deployment) -> Deployment | None:
    return (
        Deployment.objects.filter(_lane(deployment), finished_at__gt=deployment.finished_at)
        .exclude(pk=deployment.pk)
        .order_by("finished_at", "external_id", "pk")
        .first()
    )


def _listed_before(deployment: Deployment) -> QuerySet[DeploymentCommit]:
    """Commits an earlier successful deployment to the environment named in its payload."""
    return DeploymentCommit.objects.filter(
        commit_id=OuterRef("pk"),
        inferred=False,
        deployment__project_id=deployment.project_id,
        deployment__environment=deployment.environment,
        deployment__result=_SUCCESS,
        deployment__finished_at__lt=deployment.finished_at,
    )


def _infer(deployment: Deployment) -> bool:
    """Decide the inferred commits of one deployment again; True when its commit set changed."""
    before = set(
        DeploymentCommit.objects.filter(deployment=deployment, inferred=True).values_list(
            "commit_id", flat=True
        )
    )
    wanted: set[int] = set()
    listed = list(
        DeploymentCommit.objects.filter(deployment=deployment, inferred=False).values_list(
            "commit__sha", flat=True
        )[:2]
    )
    head_only = deployment.result == _SUCCESS and listed == [deployment.commit_sha]
    previous = previous_deployment(deployment=deployment) if head_only else None
    if previous is not None:
        starts = dict(
            Commit.objects.filter(
                project_id=deployment.project_id,
                sha__in=[deployment.commit_sha, previous.commit_sha],
            ).values_list("sha", "start_at")
        )
        head_start = starts.get(deployment.commit_sha)
        previous_start = starts.get(previous.commit_sha)
        if head_start and previous_start and previous_start < head_start:
            wanted = set(
                Commit.objects.filter(
                    Q(repository_id=deployment.repository_id),  # None: no repository
                    project_id=deployment.project_id,
                    start_at__gt=previous_start,
                    start_at__lte=head_start,
                )
                .exclude(sha=deployment.commit_sha)
                .exclude(Exists(_listed_before(deployment)))
                .values_list("pk", flat=True)
            )
    if wanted == before:
        return False
    DeploymentCommit.objects.filter(
        deployment=deployment, inferred=True, commit_id__in=before - wanted
    ).delete()
    DeploymentCommit.objects.bulk_create(
        [
            DeploymentCommit(
                deployment=deployment,
                commit_id=pk,
                repository_id=deployment.repository_id,
                inferred=True,
            )
            for pk in wanted - before
        ],
        ignore_conflicts=True,  # a commit the sender listed stays listed
    )
    return True


def infer_intermediate_commits(*, deployment_ids: list[int]) -> int:
    """Decide the inferred commits of the written deployments, of the next deployment in each
    one's lane (whose previous deployment may have just changed) and of the deployments whose
    ranges hold the commits they list; returns how many deployments changed. Their metric days
    are marked dirty."""
    # Each written deployment with the next one of its lane (`next_deployment`), one query.
    following = (
        Deployment.objects.filter(
            project_id=OuterRef("project_id"),
            environment=OuterRef("environment"),
            repository_id=OuterRef("repository_id"),
            result=_SUCCESS,
            finished_at__gt=OuterRef("finished_at"),
        )
        .exclude(commit_sha="")
        .exclude(pk=OuterRef("pk"))
        .order_by("finished_at", "external_id", "pk")
        .values("pk")[:1]
    )
    written = list(
        Deployment.objects.filter(
            pk__in=deployment_ids, repository__isnull=False, finished_at__isnull=False
        )
        .annotate(following_id=Subquery(following))
        .select_related("project")
    )
    affected: dict[int, Deployment] = {deployment.pk: deployment for deployment in written}
    next_ids = {d.following_id for d in written if d.following_id is not None} - set(affected)
    for deployment in Deployment.objects.filter(pk__in=next_ids).select_related("project"):
        affected[deployment.pk] = deployment
    listed = DeploymentCommit.objects.filter(deployment_id__in=deployment_ids, inferred=False)
    for project_id in {deployment.project_id for deployment in written}:
        commit_ids = listed.filter(deployment__project_id=project_id).values_list(
            "commit_id", flat=True
        )
        for holder in _holding(project_id=project_id, commit_ids=list(commit_ids)):
            affected.setdefault(holder.pk, holder)
    return _decide(affected.values())


class ChangeRow(NamedTuple):
    pk: int
    sha: str
    repository_id: int | None
    start_at: datetime | None


def infer_for_changes(*, project_id: int, changes: Sequence[ChangeRow]) -> int:
    """Changes were recorded or their starts moved: decide again the deployments whose
    inferred commits may include or drop one; returns how many changed."""
    if not changes:
        return 0
    return _decide(_holding_rows(project_id=project_id, commits=changes))


def _decide(deployments: Iterable[Deployment]) -> int:
    changed: list[int] = []
    for target in _may_infer(list(deployments)):
        if _infer(target):
            changed.append(target.pk)
            mark_dirty(
                project=target.project,
                environment=target.environment,
                instants=[target.finished_at],
            )
    # An inferred change's message may name keys the deployment now resolves (or no longer).
    refresh_resolved_keys(deployment_ids=changed)
    return len(changed)


def _may_infer(deployments: list[Deployment]) -> list[Deployment]:
    """Those of `deployments` `_infer` can change, from one read of their commit sets: a
    deployment that lists more than its head commit and holds no inferred commit has none to
    gain or lose (most deployments), so it is not decided one query at a time."""
    listed: dict[int, list[str]] = {}
    holds_inferred: set[int] = set()
    rows = DeploymentCommit.objects.filter(
        deployment_id__in=[d.pk for d in deployments]
    ).values_list("deployment_id", "inferred", "commit__sha")
    for deployment_id, inferred, sha in rows:
        if inferred:
            holds_inferred.add(deployment_id)
        else:
            listed.setdefault(deployment_id, []).append(sha)
    return [
        d
        for d in deployments
        if d.pk in holds_inferred
        or (d.result == _SUCCESS and listed.get(d.pk, []) == [d.commit_sha])
    ]


def _holding(*, project_id: int, commit_ids: Sequence[int]) -> list[Deployment]:
    """The deployments whose inferred commits depend on these commits: those whose range
    (previous head's start, head's start] holds one's start, those headed by one or whose
    previous deployment is, and those that inferred one already (always of the commit's
    repository). One query for the commits, one for their repositories' lanes, and one for the
    deployments to decide, when there are any."""
    commits = [
        ChangeRow(*row)
        for row in Commit.objects.filter(pk__in=commit_ids, project_id=project_id).values_list(
            "pk", "sha", "repository_id", "start_at"
        )
    ]
    return _holding_rows(project_id=project_id, commits=commits)


def _holding_rows(*, project_id: int, commits: Sequence[ChangeRow]) -> list[Deployment]:
    shas = {commit.sha for commit in commits}
    starts: dict[int, list[datetime]] = {}
    for commit in commits:
        if commit.repository_id is not None and commit.start_at is not None:
            starts.setdefault(commit.repository_id, []).append(commit.start_at)
    repository_ids = {c.repository_id for c in commits if c.repository_id is not None}
    if not repository_ids:
        return []
    head_start = Commit.objects.filter(
        project_id=OuterRef("project_id"), sha=OuterRef("commit_sha")
    )
    holds = DeploymentCommit.objects.filter(
        deployment_id=OuterRef("pk"), commit_id__in=[c.pk for c in commits], inferred=True
    )
    lanes = (
        Deployment.objects.filter(
            project_id=project_id,
            repository_id__in=repository_ids,
            result=_SUCCESS,
            finished_at__isnull=False,
        )
        .exclude(commit_sha="")
        .annotate(head_start=Subquery(head_start.values("start_at")[:1]), holds=Exists(holds))
        .order_by("environment", "repository_id", "finished_at", "external_id", "pk")
        .values_list(
            "pk",
            "environment",
            "repository_id",
            "finished_at",
            "commit_sha",
            "head_start",
            "holds",
        )
    )
    wanted: set[int] = set()
    lane: tuple[str, int] | None = None
    previous: tuple[datetime, str, datetime | None] | None = None  # before this finish time
    last: tuple[datetime, str, datetime | None] | None = None
    for pk, environment, repository_id, finished_at, sha, start, held in lanes:
        if finished_at is None or repository_id is None:
            continue  # the query leaves them out; this tells the type checker
        if (environment, repository_id) != lane:
            lane, previous, last = (environment, repository_id), None, None
        if last is not None and last[0] < finished_at:
            previous = last  # `previous_deployment`: the latest one finished strictly before
        if held or sha in shas or (previous is not None and previous[1] in shas):
            wanted.add(pk)
        elif previous is not None and previous[2] is not None and start is not None:
            low = previous[2]
            if any(low < at <= start for at in starts.get(repository_id, ())):
                wanted.add(pk)
        last = (finished_at, sha, start)
    if not wanted:
        return []
    return list(Deployment.objects.filter(pk__in=wanted).select_related("project"))
