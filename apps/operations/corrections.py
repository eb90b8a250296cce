"""Writes an admin makes by hand: correcting or deleting one deployment, change or incident.

Like the ingestion writes, they mark the metric days before and after dirty (apps.marks) and
run the same derive steps (rollbacks, incident links and resolutions) and recompute, so the
figures move. A correction keeps the stored payload digest: the sender re-posting the same
(wrong) payload does not undo it; a changed payload still applies. A person's attribution
decisions (link or unlink an incident, rollback marks: issue 13) are not made here."""

from datetime import datetime
from typing import Any

from django.db import transaction

from apps.deployments.changes import mark_shipped_days_dirty
from apps.deployments.models import Commit, Deployment
from apps.deployments.resolutions import refresh_for_commits, refresh_resolved_keys
from apps.derive.services import derive_effects
from apps.issues.models import Issue
from apps.marks.services import mark_dirty, request_recompute

DEPLOYMENT_FIELDS = ("name", "environment", "result", "service", "started_at", "finished_at")
COMMIT_FIELDS = ("message", "service", "authored_at", "start_at", "merged_at")


def _marks(deployment: Deployment) -> tuple[str, datetime | None]:
    return deployment.environment, deployment.finished_at


@transaction.atomic
def correct_deployment(*, deployment_id: int, values: dict[str, Any]) -> list[str]:
    """Apply the given field values; return the names of the fields that changed."""
    deployment = (
        Deployment.objects.select_for_update().select_related("project").get(pk=deployment_id)
    )
    before = _marks(deployment)
    changed = [
        name
        for name in DEPLOYMENT_FIELDS
        if name in values and getattr(deployment, name) != values[name]
    ]
    if not changed:
        return []
    for name in changed:
        setattr(deployment, name, values[name])
    deployment.save(update_fields=[*changed, "modified"])
    for environment, instant in (before, _marks(deployment)):
        if instant is not None:
            mark_dirty(project=deployment.project, environment=environment, instants=[instant])
    derive_effects(effects={"deployments": [deployment.pk]})
    return changed


@transaction.atomic
def delete_deployment(*, deployment_id: int) -> None:
    deployment = (
        Deployment.objects.select_for_update().select_related("project").get(pk=deployment_id)
    )
    environment, finished_at = _marks(deployment)
    if finished_at is not None:
        mark_dirty(project=deployment.project, environment=environment, instants=[finished_at])
    incidents = list(deployment.incidents.values_list("pk", flat=True))
    incidents += list(deployment.resolved_issues.values_list("pk", flat=True))
    neighbours = list(
        Deployment.objects.filter(remediated_by=deployment).values_list("pk", flat=True)
    )
    deployment.delete()
    # Incidents it caused or resolved are linked again, now without it.
    effects: dict[str, list[Any]] = {}
    if incidents:
        effects["incidents"] = sorted(set(incidents))
    if neighbours:
        effects["deployments"] = neighbours
    derive_effects(effects=effects)
    transaction.on_commit(request_recompute)  # derive_effects asks only when it had ids


@transaction.atomic
def correct_commit(*, commit_id: int, values: dict[str, Any]) -> list[str]:
    commit = Commit.objects.select_for_update().select_related("project").get(pk=commit_id)
    changed = [
        name for name in COMMIT_FIELDS if name in values and getattr(commit, name) != values[name]
    ]
    if not changed:
        return []
    for name in changed:
        setattr(commit, name, values[name])
    commit.save(update_fields=changed)
    if "message" in changed:
        # Before the derive steps: they find what the deployments resolve in the stored keys.
        refresh_for_commits(commit_ids=[commit.pk])
    mark_shipped_days_dirty(project=commit.project, commit_ids=[commit.pk])
    derive_effects(effects={"deployments": list(commit.deployments.values_list("pk", flat=True))})
    transaction.on_commit(request_recompute)
    return changed


@transaction.atomic
def delete_commit(*, commit_id: int) -> None:
    commit = Commit.objects.select_related("project").get(pk=commit_id)
    mark_shipped_days_dirty(project=commit.project, commit_ids=[commit.pk])
    holders = list(commit.deployments.values_list("pk", flat=True))
    commit.delete()
    # Keys its messages named are no longer said by the deployments that held it.
    refresh_resolved_keys(deployment_ids=holders)
    transaction.on_commit(request_recompute)


ISSUE_FIELDS = (
    "title",
    "status",
    "is_incident",
    "severity",
    "priority",
    "service",
    "created_at",
    "resolved_at",
)


def _mark(issue: Issue) -> None:
    environment = issue.deployment.environment if issue.deployment else "PRODUCTION"
    instants = [t for t in (issue.created_at, issue.resolved_at) if t is not None]
    mark_dirty(project=issue.project, environment=environment, instants=instants)
    for deployment in (issue.deployment, issue.resolved_by):
        if deployment is not None and deployment.finished_at is not None:
            mark_dirty(
                project=issue.project,
                environment=deployment.environment,
                instants=[deployment.finished_at],
            )


def _locked(issue_id: int) -> Issue:
    return (
        Issue.objects.select_for_update(of=("self",))
        .select_related("project", "deployment", "resolved_by")
        .get(pk=issue_id)
    )


@transaction.atomic
def correct_issue(*, issue_id: int, values: dict[str, Any]) -> list[str]:
    issue = _locked(issue_id)
    changed = [
        name for name in ISSUE_FIELDS if name in values and getattr(issue, name) != values[name]
    ]
    if not changed:
        return []
    _mark(issue)
    for name in changed:
        setattr(issue, name, values[name])
    issue.save(update_fields=[*changed, "modified"])
    _mark(issue)
    derive_effects(effects={"incidents": [issue.pk]})
    return changed


@transaction.atomic
def delete_issue(*, issue_id: int) -> None:
    issue = _locked(issue_id)
    _mark(issue)
    issue.delete()
    transaction.on_commit(request_recompute)
