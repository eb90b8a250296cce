"""What DORA Hub derives from the stored rows after a write, in one explicit order.

A delivery's `effects` name what it wrote (`{"deployments": [ids], "incidents": [ids]}`); the
derive layer decides again everything those rows may change, from the stored rows alone, so
the result never depends on the order deliveries arrived in. Each effect kind has one ordered
list of steps; each step takes ids, reloads, is idempotent and marks the metric days it changed
(apps.marks). Once every step ran, one recompute of the marked days is requested after commit.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from django.db import transaction

from apps.deployments.inference import infer_intermediate_commits
from apps.deployments.models import Deployment
from apps.derive.linking import (
    link_incidents,
    relink_for_deployments,
    resolve_for_deployments,
    resolve_incidents,
)
from apps.derive.remediation import mark_remediations
from apps.issues.models import Issue
from apps.marks.services import request_recompute

logger = logging.getLogger(__name__)


class DeploymentStep(Protocol):
    def __call__(self, *, deployment_ids: list[int]) -> object: ...


class IncidentStep(Protocol):
    def __call__(self, *, issue_ids: list[int]) -> object: ...


# The order is the point: each step reads what the steps before it wrote.
AFTER_DEPLOYMENTS: tuple[DeploymentStep, ...] = (
    # Commit sets first: remediation, causes and resolutions read what a deployment contains.
    infer_intermediate_commits,
    mark_remediations,
    relink_for_deployments,
    resolve_for_deployments,
)
AFTER_INCIDENTS: tuple[IncidentStep, ...] = (
    link_incidents,
    resolve_incidents,
)
# Deployments before incidents: an incident's cause and resolver are deployments.
KINDS = ("deployments", "incidents")
# Kinds older inbox rows may still carry (CI deliveries emitted them; nothing ever followed).
RETIRED_KINDS = frozenset({"jobs", "pipelines"})


def derive_effects(*, effects: Mapping[str, Sequence[Any]]) -> None:
    """Run the steps of every effect kind of one delivery, then request a recompute."""
    for kind in sorted(effects.keys() - set(KINDS) - RETIRED_KINDS):
        logger.warning("no derive steps for effect kind %r; ignored", kind)
    deployment_ids = [int(pk) for pk in effects.get("deployments") or ()]
    issue_ids = [int(pk) for pk in effects.get("incidents") or ()]
    if deployment_ids:
        after_deployments(deployment_ids=deployment_ids)
    if issue_ids:
        after_incidents(issue_ids=issue_ids)
    if deployment_ids or issue_ids:
        transaction.on_commit(request_recompute)


def after_deployments(*, deployment_ids: list[int]) -> None:
    """Everything written deployments may change: AFTER_DEPLOYMENTS, in order."""
    for step in AFTER_DEPLOYMENTS:
        step(deployment_ids=deployment_ids)


def after_incidents(*, issue_ids: list[int]) -> None:
    """Everything written incidents may change: AFTER_INCIDENTS, in order."""
    for step in AFTER_INCIDENTS:
        step(issue_ids=issue_ids)


def rederive_project(*, project_id: int, chunk: int = 500) -> None:
    """Decide every rollback and incident link of a project again (after a change of link
    window, or for data written without derive steps, such as the demo)."""
    deployment_ids = list(
        Deployment.objects.filter(project_id=project_id)
        .order_by("finished_at", "pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(deployment_ids), chunk):
        mark_remediations(deployment_ids=deployment_ids[start : start + chunk])
    issue_ids = list(
        Issue.objects.filter(project_id=project_id, is_incident=True).values_list("pk", flat=True)
    )
    for start in range(0, len(issue_ids), chunk):
        after_incidents(issue_ids=issue_ids[start : start + chunk])
