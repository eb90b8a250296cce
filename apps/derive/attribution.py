"""People correct the attribution (METRICS.md, linking rule 0): link an incident to a
deployment or mark it "not caused by a deployment"; mark a deployment a rollback or hotfix, or
neither. Each decision records who, when and why; it is copied onto the incident or deployment
so every rule, recompute and re-posted payload sees it first; withdrawing it hands the decision
back to the automatic rules. The affected days are marked dirty, so every figure moves."""

from typing import cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied, ValidationError

from apps.deployments.models import Deployment, ReworkDecision
from apps.derive.linking import link_incidents
from apps.derive.remediation import mark_remediations
from apps.issues.models import AttributionDecision, DecisionAction, Issue, PersonLink
from apps.marks.services import mark_dirty

PERMISSION = "issues.change_attribution"
REWORK_ACTIONS = {
    DecisionAction.ROLLBACK: ReworkDecision.ROLLBACK,
    DecisionAction.HOTFIX: ReworkDecision.HOTFIX,
    DecisionAction.NOT_REWORK: ReworkDecision.NOT_REWORK,
}

User = AbstractBaseUser | AnonymousUser


def can_attribute(user: User) -> bool:
    return bool(user.is_authenticated and user.has_perm(PERMISSION))  # type: ignore[attr-defined]  # request.user is a User (PermissionsMixin)


def _check(user: User, reason: str) -> str:
    if not can_attribute(user):
        raise PermissionDenied("You need the 'correct attribution' permission (see the admin).")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why: the decision is kept with its reason."]})
    return reason


def _withdraw_in_force(queryset, user: User, why: str) -> None:
    queryset.filter(withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), withdrawn_by=user, withdraw_reason=why
    )


def decide_incident(
    *, issue: Issue, deployment: Deployment | None, reason: str, user: User
) -> AttributionDecision:
    """`deployment` caused `issue`, or (None) no deployment did."""
    reason = _check(user, reason)
    if deployment is not None and deployment.project_id != issue.project_id:
        raise ValidationError({"deployment": ["Pick a deployment of the incident's project."]})
    with transaction.atomic():
        _withdraw_in_force(issue.decisions.all(), user, "superseded by a newer decision")
        decision = AttributionDecision.objects.create(
            issue=issue,
            deployment=deployment,
            action=DecisionAction.LINK if deployment else DecisionAction.NOT_CAUSED,
            reason=reason,
            decided_by=user,  # type: ignore[misc]  # _check() let only an authenticated User through
            decided_at=timezone.now(),
        )
        Issue.objects.filter(pk=issue.pk).update(
            person_link=PersonLink.DEPLOYMENT if deployment else PersonLink.NOT_CAUSED,
            person_deployment=deployment,
            modified=timezone.now(),
        )
        link_incidents(issue_ids=[issue.pk])
    return decision


def mark_deployment(
    *, deployment: Deployment, action: str, reason: str, user: User
) -> AttributionDecision:
    """Mark `deployment` a rollback or hotfix, or neither (`not_rework`)."""
    reason = _check(user, reason)
    if action not in REWORK_ACTIONS:
        raise ValidationError({"action": [f"One of {', '.join(REWORK_ACTIONS)}."]})
    with transaction.atomic():
        _withdraw_in_force(
            deployment.decisions.filter(issue__isnull=True), user, "superseded by a newer decision"
        )
        decision = AttributionDecision.objects.create(
            deployment=deployment,
            action=action,
            reason=reason,
            decided_by=user,  # type: ignore[misc]  # _check() let only an authenticated User through
            decided_at=timezone.now(),
        )
        _apply_rework(deployment, REWORK_ACTIONS[cast(DecisionAction, action)])
    return decision


def withdraw(*, decision: AttributionDecision, user: User, reason: str = "") -> None:
    """Hand the decision back to the automatic rules."""
    if not can_attribute(user):
        raise PermissionDenied("You need the 'correct attribution' permission (see the admin).")
    if decision.withdrawn_at is not None:
        return
    with transaction.atomic():
        AttributionDecision.objects.filter(pk=decision.pk).update(
            withdrawn_at=timezone.now(), withdrawn_by=user, withdraw_reason=reason.strip()
        )
        if decision.issue_id is not None:
            Issue.objects.filter(pk=decision.issue_id).update(
                person_link=PersonLink.NONE, person_deployment=None, modified=timezone.now()
            )
            link_incidents(issue_ids=[decision.issue_id])
        elif decision.deployment is not None:
            _apply_rework(decision.deployment, ReworkDecision.NONE)


def _apply_rework(deployment: Deployment, value: str) -> None:
    Deployment.objects.filter(pk=deployment.pk).update(rework_decision=value)
    mark_remediations(deployment_ids=[deployment.pk])
    if deployment.finished_at is not None:
        # Its own rework changed even where no remediation link did.
        mark_dirty(
            project=deployment.project,
            environment=deployment.environment,
            instants=[deployment.finished_at],
        )
