"""Which deployment caused an incident, and which deployment resolved it (METRICS.md).

Both are decided from the stored rows alone, never from the order deliveries arrived in: when a
deployment or an incident arrives (late or not), the incidents it may concern are decided again.

Cause, in order:
0. a person's decision ("caused by this deployment" or "not caused by a deployment"): it wins
   over every rule below, over recomputes and re-posted payloads, until withdrawn;
1. an explicit reference: `deployment_id` / `caused_by` in the payload (a deployment's external
   id, its DORA Hub id, or a commit sha), then a `root cause: <sha>` line in the description;
2. otherwise the latest successful production deployment (same repository or service where the
   incident names one) that finished before the incident was created, within the project's
   link window;
3. otherwise none: the incident is shown as unlinked.

Resolution: the earliest successful production deployment, finished after the incident was
created, that lists the incident's key in `resolves` or says `fixes|closes|resolves <KEY>` in a
commit message. It closes the incident at its finish time and is recorded as `resolved_by`.
"""

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from apps.deployments.models import (
    KEY_MAX_LENGTH,
    Deployment,
    DeploymentCommit,
    DeploymentResult,
    ResolvedKey,
)

# What a deployment resolves is the deployments layer's, stored as ResolvedKey rows when it is
# written; re-exported for the readers that looked for it here.
from apps.deployments.resolutions import RESOLVING_WORDS as RESOLVING_WORDS
from apps.deployments.resolutions import resolved_keys as resolved_keys
from apps.issues.models import Issue, IssueStatus, LinkMethod, PersonLink
from apps.issues.services import close_issue
from apps.marks.services import mark_dirty

PRODUCTION = "PRODUCTION"
MIN_SHA_PREFIX = 7
ROOT_CAUSE = re.compile(r"(?im)^[\s>*_-]*root[ _-]?cause\s*:\s*`?([0-9a-f]{7,64})\b")
SHA = re.compile(r"(?i)^[0-9a-f]{7,128}$")
PENDING = [LinkMethod.NONE, LinkMethod.WINDOW]  # explicit references may still resolve
# A sha names the earliest deployment shipping it, which may arrive after a later one did.
BY_NAME = [*PENDING, LinkMethod.CAUSED_BY, LinkMethod.ROOT_CAUSE]


@dataclass(frozen=True)
class Link:
    deployment: Deployment | None
    method: str


# --- cause ---------------------------------------------------------------------------------


def root_cause_sha(description: str) -> str:
    match = ROOT_CAUSE.search(description or "")
    return match.group(1).lower() if match else ""


def decide_link(issue: Issue) -> Link:
    """The deployment that caused `issue` by the rules above, and how it was decided."""
    if issue.person_link == PersonLink.DEPLOYMENT and issue.person_deployment is not None:
        return Link(issue.person_deployment, LinkMethod.PERSON)
    if issue.person_link == PersonLink.NOT_CAUSED:
        return Link(None, LinkMethod.PERSON)
    ref = issue.caused_by_ref.strip()
    if ref:
        link = _by_reference(issue, ref)
        if link is not None:
            return link
    sha = root_cause_sha(issue.description)
    if sha:
        deployment = _by_sha(issue, sha)
        if deployment is not None:
            return Link(deployment, LinkMethod.ROOT_CAUSE)
    deployment = _by_window(issue)
    if deployment is not None:
        return Link(deployment, LinkMethod.WINDOW)
    return Link(None, LinkMethod.NONE)


def link_incidents(*, issue_ids: Iterable[int]) -> int:
    """Decide the cause of each incident again and store it; returns how many changed."""
    changed = 0
    # Only the project is read on every incident (its link window); the deployments are read
    # when a person linked one or the link changes, and joining them would cost every incident.
    incidents = Issue.objects.filter(pk__in=list(issue_ids), is_incident=True).select_related(
        "project"
    )
    for issue in incidents:
        link = decide_link(issue)
        new_id = link.deployment.pk if link.deployment is not None else None
        if new_id == issue.deployment_id and link.method == issue.link_method:
            continue
        with transaction.atomic():
            Issue.objects.filter(pk=issue.pk).update(
                deployment=link.deployment, link_method=link.method, modified=timezone.now()
            )
            _mark_relinked(issue, old=issue.deployment, new=link.deployment)
        changed += 1
    return changed


def relink_for_deployments(*, deployment_ids: Iterable[int]) -> int:
    """Decide again the incidents that arriving deployments may concern: those linked to them,
    those in their link window, and those whose explicit reference names them. A few queries
    per project, however many deployments arrived."""
    deployments = list(
        Deployment.objects.filter(pk__in=list(deployment_ids)).select_related("project")
    )
    shas: dict[int, set[str]] = {d.pk: {d.commit_sha.lower()} for d in deployments}
    for deployment_id, sha in DeploymentCommit.objects.filter(
        deployment_id__in=list(shas)
    ).values_list("deployment_id", "commit__sha"):
        shas[deployment_id].add(sha.lower())
    candidates: set[int] = set()
    by_project: dict[int, list[Deployment]] = {}
    for deployment in deployments:
        by_project.setdefault(deployment.project_id, []).append(deployment)
    for project_id, group in by_project.items():
        incidents = Issue.objects.filter(project_id=project_id, is_incident=True)
        candidates.update(
            incidents.filter(deployment_id__in=[d.pk for d in group]).values_list("pk", flat=True)
        )
        candidates.update(_in_windows(group, incidents.filter(link_method__in=PENDING)))
        candidates.update(
            _naming(
                names={name for d in group for name in (d.external_id, str(d.pk))},
                shas={sha for d in group for sha in shas[d.pk]} - {""},
                incidents=incidents.filter(link_method__in=BY_NAME),
            )
        )
    return link_incidents(issue_ids=candidates)


def _in_windows(deployments: list[Deployment], incidents: QuerySet[Issue]) -> set[int]:
    """Incidents created within the link window after one of `deployments` (one project's)
    finished: (finished_at, finished_at + window]."""
    finishes = sorted(d.finished_at for d in deployments if d.finished_at is not None)
    if not finishes:
        return set()
    window = deployments[0].project.incident_link_window
    rows = incidents.filter(
        created_at__gt=finishes[0], created_at__lte=finishes[-1] + window
    ).values_list("pk", "created_at")
    # The latest finish before the incident was created decides whether one window holds it.
    return {
        pk
        for pk, created_at in rows
        if (i := bisect_left(finishes, created_at)) and created_at - finishes[i - 1] <= window
    }


def _naming(*, names: set[str], shas: set[str], incidents: QuerySet[Issue]) -> set[int]:
    """Incidents whose payload reference or root-cause line names one of the deployments
    (`names`: their ids; `shas`: the commits they hold, lower-cased)."""
    explicit = incidents.filter(
        ~Q(caused_by_ref="") | Q(description__icontains="root cause")
    ).values_list("pk", "caused_by_ref", "description")
    found = set()
    for pk, ref, description in explicit:
        wanted = [ref.strip(), root_cause_sha(description)]
        for name in filter(None, wanted):
            if name in names or (
                SHA.match(name) and any(sha.startswith(name.lower()) for sha in shas)
            ):
                found.add(pk)
    return found


def _by_reference(issue: Issue, ref: str) -> Link | None:
    deployments = Deployment.objects.filter(project_id=issue.project_id)
    same_connection_first = Case(
        When(connection_id=issue.connection_id, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    found = (
        deployments.filter(external_id=ref).order_by(same_connection_first, "connection_id").first()
    )
    if found is None and ref.isdigit():
        found = deployments.filter(pk=int(ref)).first()
    if found is not None:
        return Link(found, LinkMethod.PAYLOAD)
    if SHA.match(ref):
        found = _by_sha(issue, ref.lower())
        if found is not None:
            return Link(found, LinkMethod.CAUSED_BY)
    return None


def _by_sha(issue: Issue, sha: str) -> Deployment | None:
    """The deployment that introduced the change `sha` (a full or abbreviated sha): the
    earliest successful one containing it, production and before the incident preferred."""
    if len(sha) < MIN_SHA_PREFIX:
        return None
    contains = DeploymentCommit.objects.filter(
        deployment=OuterRef("pk"), commit__sha__startswith=sha
    )
    return (
        Deployment.objects.filter(
            Q(commit_sha__startswith=sha) | Q(Exists(contains)),
            project_id=issue.project_id,
            result=DeploymentResult.SUCCESS,
            finished_at__isnull=False,
        )
        .order_by(
            Case(When(environment=PRODUCTION, then=Value(0)), default=Value(1)),
            Case(When(finished_at__lte=issue.created_at, then=Value(0)), default=Value(1)),
            "finished_at",
            "external_id",
        )
        .first()
    )


def _by_window(issue: Issue) -> Deployment | None:
    window = issue.project.incident_link_window
    candidates = Deployment.objects.filter(
        project_id=issue.project_id,
        environment=PRODUCTION,
        result=DeploymentResult.SUCCESS,
        finished_at__lt=issue.created_at,
        finished_at__gte=issue.created_at - window,
    )
    if issue.repository_id is not None:
        in_repository = DeploymentCommit.objects.filter(
            deployment=OuterRef("pk"), repository_id=issue.repository_id
        )
        candidates = candidates.filter(
            Q(repository_id=issue.repository_id) | Q(Exists(in_repository))
        )
    if issue.service:
        candidates = candidates.filter(service=issue.service)
    return candidates.order_by("-finished_at", "-external_id", "-connection_id").first()


def _mark_relinked(issue: Issue, *, old: Deployment | None, new: Deployment | None) -> None:
    """Whether the old and new deployments failed, and the incident's environment, changed."""
    instants = [t for t in (issue.created_at, issue.resolved_at) if t is not None]
    by_environment: dict[str, list[datetime]] = {}  # one write per environment, not per instant
    for deployment in (old, new):
        environment = deployment.environment if deployment is not None else PRODUCTION
        by_environment.setdefault(environment, []).extend(instants)
        if deployment is not None and deployment.finished_at is not None:
            by_environment.setdefault(deployment.environment, []).append(deployment.finished_at)
    for environment, marked in by_environment.items():
        mark_dirty(project=issue.project, environment=environment, instants=marked)


# --- resolution ----------------------------------------------------------------------------


def resolve_for_deployments(*, deployment_ids: Iterable[int]) -> int:
    """Close the incidents arriving deployments resolve; returns how many incidents changed."""
    ids = list(deployment_ids)
    candidates = set(Issue.objects.filter(resolved_by__in=ids).values_list("pk", flat=True))
    keys: dict[int, set[str]] = defaultdict(set)
    for project_id, key in ResolvedKey.objects.filter(deployment_id__in=ids).values_list(
        "project_id", "key"
    ):
        keys[project_id].add(key)
    for project_id, named_keys in keys.items():
        named = Q()
        for key in sorted(named_keys):
            named |= Q(issue_key__iexact=key)
        candidates.update(
            Issue.objects.filter(named, project_id=project_id, is_incident=True).values_list(
                "pk", flat=True
            )
        )
    return resolve_incidents(issue_ids=candidates)


def resolve_incidents(*, issue_ids: Iterable[int]) -> int:
    """Give each incident its resolving deployment (or none) and close it if still open."""
    changed = 0
    # Nothing related is read unless the resolver changed: most incidents keep theirs, and the
    # joins cost more than the few lookups of one that changed.
    incidents = list(Issue.objects.filter(pk__in=list(issue_ids), is_incident=True))
    keyed = _keys_with_rows(incidents)
    for issue in incidents:
        # An incident whose key no deployment names has no resolver: no probe needed (most
        # incidents of a project's rederive).
        named = (issue.project_id, _probe_key(issue)) in keyed
        resolver = resolving_deployment(issue) if named else None
        if resolver is None and issue.resolved_by_id is None:
            continue
        if resolver is not None and resolver.pk == issue.resolved_by_id and issue.resolved_at:
            continue
        changed += 1
        if resolver is not None and (issue.status != IssueStatus.DONE or issue.resolved_at is None):
            close_issue(
                connection=issue.connection,
                issue_key=issue.issue_key,
                resolved_at=resolver.finished_at,
                resolved_by=resolver,
            )
            continue
        _replace_resolver(issue, resolver)
    return changed


def _probe_key(issue: Issue) -> str:
    """The stored form of the incident's key ("" when no deployment can name it)."""
    key = issue.issue_key.strip().upper()
    return key if len(key) <= KEY_MAX_LENGTH else ""


def _keys_with_rows(incidents: Sequence[Issue]) -> set[tuple[int, str]]:
    """(project, key) of the incidents whose key some deployment names, in one query."""
    keys = {_probe_key(issue) for issue in incidents} - {""}
    if not keys:
        return set()
    return set(
        ResolvedKey.objects.filter(
            project_id__in={issue.project_id for issue in incidents}, key__in=keys
        )
        .values_list("project_id", "key")
        .distinct()
    )


def resolving_deployment(issue: Issue) -> Deployment | None:
    """The earliest successful production deployment after `issue` was created that says it
    resolves it: one probe of the stored keys."""
    key = _probe_key(issue)
    if not key:
        return None
    return (
        Deployment.objects.filter(
            resolved_keys__project_id=issue.project_id,
            resolved_keys__key=key,
            project_id=issue.project_id,
            environment=PRODUCTION,
            result=DeploymentResult.SUCCESS,
            finished_at__gte=issue.created_at,
        )
        .order_by("finished_at", "external_id")
        .first()
    )


def _replace_resolver(issue: Issue, resolver: Deployment | None) -> None:
    """An already closed incident gets its resolver set or replaced. A resolution time that
    came from the previous resolver moves with it; one the source reported stays."""
    previous = issue.resolved_by
    updates: dict[str, object] = {"resolved_by": resolver, "modified": timezone.now()}
    resolved_at = issue.resolved_at
    if resolver is not None and previous is not None and issue.resolved_at == previous.finished_at:
        resolved_at = resolver.finished_at
        updates["resolved_at"] = resolved_at
    with transaction.atomic():
        Issue.objects.filter(pk=issue.pk).update(**updates)
        instants: list[datetime] = [t for t in (issue.resolved_at, resolved_at) if t]
        environment = issue.deployment.environment if issue.deployment else PRODUCTION
        mark_dirty(project=issue.project, environment=environment, instants=instants)
        for deployment in (previous, resolver):
            if deployment is not None and deployment.finished_at is not None:
                mark_dirty(
                    project=issue.project,
                    environment=deployment.environment,
                    instants=[deployment.finished_at],
                )
