"""Rollbacks and hotfixes: which earlier deployments a deployment remediates (METRICS.md).

A deployment's *lane* is its project, environment, repository and service. Within a lane:

* a successful deployment of a sha that an earlier successful deployment already shipped rolls
  back every deployment in between (re-deploying the latest sha rolls back nothing);
* a deployment flagged `is_rollback` or `is_hotfix` without such a sha remediates the one
  before it;
* a person's decision wins over both: marked a rollback or hotfix, it remediates as flagged;
  marked neither, it remediates nothing.

The rule looks back over the last LOOKBACK deployments of the lane. It depends only on the
lane's history, never on the order deliveries arrived in: when a deployment arrives (late or
not), the later deployments of its lane are evaluated again.
"""

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from apps.connections.models import Project
from apps.deployments.models import Deployment, DeploymentResult, ReworkDecision
from apps.marks.services import mark_dirty

LOOKBACK = 20

Remediates = Deployment.remediates.through
LaneKey = tuple[int, str, int | None, str]
# What the rules and the marks read: a project's rederive loads every deployment about twice, and
# the other columns (three more timestamps, the `resolves` JSON) were most of the cost.
RULE_FIELDS = (
    "project",
    "environment",
    "repository",
    "service",
    "result",
    "finished_at",
    "commit_sha",
    "external_id",
    "is_rollback",
    "is_hotfix",
    "rework_decision",
)


def remediated(deployment: Deployment, earlier: Sequence[Deployment]) -> list[Deployment]:
    """What `deployment` remediates, given its lane's earlier deployments, newest first."""
    if deployment.result != DeploymentResult.SUCCESS or deployment.finished_at is None:
        return []
    decision = deployment.rework_decision
    if decision == ReworkDecision.NOT_REWORK:  # a person's decision wins over both rules
        return []
    if deployment.commit_sha:
        for index, previous in enumerate(earlier):
            if previous.commit_sha == deployment.commit_sha:
                if index > 0:
                    return list(earlier[:index])
                break
    if deployment.is_rollback or deployment.is_hotfix or decision:
        return list(earlier[:1])
    return []


def mark_remediations(*, deployment_ids: Iterable[int]) -> int:
    """Re-evaluate the given deployments and the later ones of their lanes; returns how many
    remediation links were added or removed."""
    requested = list(Deployment.objects.filter(pk__in=list(deployment_ids)).only(*RULE_FIELDS))
    lanes: dict[LaneKey, list[Deployment]] = {}
    for deployment in requested:
        lanes.setdefault(_lane_key(deployment), []).append(deployment)
    desired: dict[int, set[int]] = {}
    by_pk: dict[int, Deployment] = {}
    for key, members in lanes.items():
        timeline = _timeline(key, members)
        by_pk.update({d.pk: d for d in timeline})
        by_pk.update({d.pk: d for d in members})
        first = min((d.finished_at for d in members if d.finished_at), default=None)
        # The timeline holds finished deployments only.
        finished = [d.finished_at for d in timeline if d.finished_at is not None]
        for deployment in timeline:
            if first is None or deployment.finished_at is None or deployment.finished_at < first:
                continue
            end = bisect_left(finished, deployment.finished_at)  # strictly earlier ones
            earlier = timeline[max(0, end - LOOKBACK) : end][::-1]
            desired[deployment.pk] = {d.pk for d in remediated(deployment, earlier)}
        for deployment in members:
            if deployment.pk not in desired:  # not a successful deployment (any more)
                desired[deployment.pk] = set()
    return _apply(desired, by_pk)


def _lane_key(deployment: Deployment) -> LaneKey:
    return (
        deployment.project_id,
        deployment.environment,
        deployment.repository_id,
        deployment.service,
    )


def _lane(key: LaneKey) -> Q:
    project_id, environment, repository_id, service = key
    return Q(
        project_id=project_id,
        environment=environment,
        repository_id=repository_id,
        service=service,
        result=DeploymentResult.SUCCESS,
        finished_at__isnull=False,
    )


def _timeline(key: LaneKey, members: list[Deployment]) -> list[Deployment]:
    """The lane, oldest first, from LOOKBACK deployments before the earliest member to
    LOOKBACK after the latest (three queries whatever the lane's length)."""
    finished = [d.finished_at for d in members if d.finished_at is not None]
    if not finished:
        return []
    low, high = min(finished), max(finished)
    lane = Deployment.objects.filter(_lane(key)).only(*RULE_FIELDS)
    before = lane.filter(finished_at__lt=low).order_by("-finished_at", "-external_id")[:LOOKBACK]
    within = lane.filter(finished_at__gte=low, finished_at__lte=high)
    after = lane.filter(finished_at__gt=high).order_by("finished_at", "external_id")[:LOOKBACK]
    rows = [*before, *within, *after]
    return sorted(rows, key=lambda d: (d.finished_at, d.external_id, d.pk))


def _apply(desired: dict[int, set[int]], by_pk: dict[int, Deployment]) -> int:
    current: dict[int, set[int]] = {pk: set() for pk in desired}
    pairs = Remediates.objects.filter(from_deployment_id__in=list(desired)).values_list(
        "from_deployment_id", "to_deployment_id"
    )
    for source, target in pairs:
        current[source].add(target)
    added = [(s, t) for s, targets in desired.items() for t in targets - current[s]]
    removed = [(s, t) for s, targets in current.items() for t in targets - desired[s]]
    if not added and not removed:
        return 0
    touched = {pk for pair in added + removed for pk in pair}
    missing = touched - set(by_pk)
    by_pk.update(Deployment.objects.in_bulk(list(missing)))
    with transaction.atomic():
        if removed:
            condition = Q()
            for source, target in removed:
                condition |= Q(from_deployment_id=source, to_deployment_id=target)
            Remediates.objects.filter(condition).delete()
        Remediates.objects.bulk_create(
            [Remediates(from_deployment_id=s, to_deployment_id=t) for s, t in added],
            ignore_conflicts=True,
        )
        _mark_days([by_pk[pk] for pk in touched if pk in by_pk])
    return len(added) + len(removed)


def _mark_days(deployments: Iterable[Deployment]) -> None:
    """The remediating deployments' rework and the remediated ones' failure changed."""
    marks: dict[tuple[int, str], list[datetime]] = {}
    for deployment in deployments:
        if deployment.finished_at is not None:
            key = (deployment.project_id, deployment.environment)
            marks.setdefault(key, []).append(deployment.finished_at)
    projects = Project.objects.in_bulk({project_id for project_id, _ in marks})
    for (project_id, environment), instants in marks.items():
        mark_dirty(project=projects[project_id], environment=environment, instants=instants)
