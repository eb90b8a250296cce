"""What a deployment contains when it names only its head commit (METRICS.md):

    where it names only its head commit and the previous deployment of the same repository and
    environment is known, it also contains the commits recorded between the two (from push
    events or git history pushed by the CLI).

"Between" is by the changes' start times: a commit of the same repository that started after the
previous deployment's head and no later than this head, and that no earlier successful
deployment to this environment shipped. Git ancestry is not known to DORA Hub; start times are
what the push events and the CLI record."""

from django.db.models import Exists, OuterRef

from apps.deployments.models import (
    Commit,
    Deployment,
    DeploymentCommit,
    DeploymentResult,
)


def previous_deployment(*, deployment: Deployment) -> Deployment | None:
    return (
        Deployment.objects.filter(
            project_id=deployment.project_id,
            environment=deployment.environment,
            repository_id=deployment.repository_id,
            result=DeploymentResult.SUCCESS,
            finished_at__lt=deployment.finished_at,
        )
        .exclude(pk=deployment.pk)
        .exclude(commit_sha="")
        .order_by("-finished_at", "-pk")
        .first()
    )


def infer_intermediate_commits(*, deployment_ids: list[int]) -> int:
    """Add the commits recorded between each head-only deployment and the previous one of its
    repository and environment; returns how many were added. Idempotent: a deployment that
    already lists more than its head is left as sent."""
    added = 0
    heads = (
        Deployment.objects.filter(
            pk__in=deployment_ids,
            result=DeploymentResult.SUCCESS,
            repository__isnull=False,
            finished_at__isnull=False,
        )
        .exclude(commit_sha="")
        .select_related("repository")
    )
    for deployment in heads:
        listed = list(
            DeploymentCommit.objects.filter(deployment=deployment).values_list(
                "commit__sha", flat=True
            )[:2]
        )
        if listed != [deployment.commit_sha]:
            continue
        previous = previous_deployment(deployment=deployment)
        if previous is None:
            continue
        starts = dict(
            Commit.objects.filter(
                project_id=deployment.project_id,
                sha__in=[deployment.commit_sha, previous.commit_sha],
            ).values_list("sha", "start_at")
        )
        head_start, previous_start = (
            starts.get(deployment.commit_sha),
            starts.get(previous.commit_sha),
        )
        if head_start is None or previous_start is None or previous_start >= head_start:
            continue
        shipped_before = DeploymentCommit.objects.filter(
            commit_id=OuterRef("pk"),
            deployment__environment=deployment.environment,
            deployment__result=DeploymentResult.SUCCESS,
            deployment__finished_at__lt=deployment.finished_at,
        )
        between = (
            Commit.objects.filter(
                project_id=deployment.project_id,
                repository_id=deployment.repository_id,
                start_at__gt=previous_start,
                start_at__lte=head_start,
            )
            .exclude(sha=deployment.commit_sha)
            .exclude(Exists(shipped_before))
            .values_list("pk", flat=True)
        )
        rows = [
            DeploymentCommit(
                deployment=deployment, commit_id=pk, repository_id=deployment.repository_id
            )
            for pk in between
        ]
        DeploymentCommit.objects.bulk_create(rows, ignore_conflicts=True)
        added += len(rows)
    return added
