"""What a deployment contains when it names only its head commit (METRICS.md):

    where it names only its head commit and the previous deployment of the same repository and
    environment is known, it also contains the commits recorded between the two (from push
    events or git history pushed by the CLI).

"Between" is by the changes' start times: a commit of the same repository that started after the
previous deployment's head and no later than this head. Git ancestry is not known to DORA Hub;
start times are what push events and the CLI record. Commits an earlier deployment listed in
its payload are not counted again. Inferred rows are flagged, so they are
decided again whenever the lane (project, environment, repository) changes: the result does not
depend on the order deployments arrive in."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.deployments.models import (
    Commit,
    Deployment,
    DeploymentCommit,
    DeploymentResult,
)
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
        .order_by("-finished_at", "-pk")
        .first()
    )


def next_deployment(*, deployment: Deployment) -> Deployment | None:
    return (
        Deployment.objects.filter(_lane(deployment), finished_at__gt=deployment.finished_at)
        .exclude(pk=deployment.pk)
        .order_by("finished_at", "pk")
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
    """Decide the inferred commits of the written deployments and of the next deployment in
    each one's lane (whose previous deployment may have just changed); returns how many
    deployments changed. Their metric days are marked dirty."""
    changed = 0
    written = Deployment.objects.filter(
        pk__in=deployment_ids, repository__isnull=False, finished_at__isnull=False
    ).select_related("project")
    for deployment in written:
        affected = [deployment]
        following = next_deployment(deployment=deployment)
        if following is not None:
            affected.append(following)
        for target in affected:
            if _infer(target):
                changed += 1
                mark_dirty(
                    project=deployment.project,
                    environment=target.environment,
                    instants=[target.finished_at],
                )
    return changed
