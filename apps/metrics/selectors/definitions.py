"""METRICS.md's definitions as query conditions: a failed deployment, a rework deployment,
the environment an incident belongs to."""

from django.db.models import Exists, OuterRef, Q

from apps.deployments.models import Deployment, DeploymentResult, ReworkDecision
from apps.issues.models import Issue
from apps.metrics.selectors.periods import PRODUCTION

FAILED_ATTEMPT_RESULTS = (DeploymentResult.FAILURE, DeploymentResult.ABORT)
SUCCESS = Q(result=DeploymentResult.SUCCESS)


def failed_deployment_q() -> Q:
    """A deployment failed: an incident is linked to it, or a later one remediates it."""
    remediations = Deployment.remediates.through.objects.filter(to_deployment=OuterRef("pk"))
    incidents = Issue.objects.filter(deployment=OuterRef("pk"), is_incident=True)
    return Q(Exists(incidents)) | Q(Exists(remediations))


def rework_deployment_q() -> Q:
    """An unplanned fix: hotfix or rollback, remediating a deployment, or resolving an incident.
    A person's decision wins (METRICS.md, linking rule 0): marked a rollback or hotfix, it is
    rework; marked neither, it is not."""
    remediates = Deployment.remediates.through.objects.filter(from_deployment=OuterRef("pk"))
    resolves = Issue.objects.filter(resolved_by=OuterRef("pk"), is_incident=True)
    automatic = (
        Q(is_rollback=True) | Q(is_hotfix=True) | Q(Exists(remediates)) | Q(Exists(resolves))
    )
    decided = Q(rework_decision__in=[ReworkDecision.ROLLBACK, ReworkDecision.HOTFIX])
    return decided | (automatic & ~Q(rework_decision=ReworkDecision.NOT_REWORK))


def incident_environment_q(environment: str) -> Q:
    """An incident belongs to its linked deployment's environment; unlinked ones to production."""
    q = Q(deployment__environment=environment)
    if environment == PRODUCTION:
        q |= Q(deployment__isnull=True)
    return q
