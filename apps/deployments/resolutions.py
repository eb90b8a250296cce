"""The issue keys a deployment says it resolves (METRICS.md, "Which deployment resolved an
incident"): its `resolves` list and the `fixes|closes|resolves KEY` phrases of its commits'
messages (the message the deployment listed the commit with, and the change's own), upper-cased.

They are defined here once and stored as `ResolvedKey` rows, so an incident finds its resolving
deployment with one index probe (apps.derive.linking) instead of searching every later
deployment's messages. Every writer of what they come from calls `refresh_resolved_keys`:
the deployment upsert (its `resolves` and its commit set), commit inference (inferred commits
added or dropped), the change writers (a change's message arriving after its deployment) and the
admin corrections of a change."""

import re
from collections.abc import Iterable, Iterator, Sequence

from apps.deployments.models import KEY_MAX_LENGTH, Deployment, DeploymentCommit, ResolvedKey

RESOLVING_WORDS = re.compile(
    r"(?i)\b(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)\b\s*:?\s+#?([A-Za-z][A-Za-z0-9_]*-\d+|\d+)\b"
)
CHUNK = 1000


def keys_in(*, resolves: Iterable[object] | None, messages: Iterable[str | None]) -> set[str]:
    """The keys a `resolves` list and some commit messages name (upper-cased)."""
    keys = {str(key).strip().upper() for key in resolves or []}
    for text in messages:
        if text:
            keys.update(match.upper() for match in RESOLVING_WORDS.findall(text))
    keys.discard("")
    return keys


def names_keys(message: str | None) -> bool:
    """Whether a message names keys: a change whose new message names none needs no refresh."""
    return bool(message) and RESOLVING_WORDS.search(message or "") is not None


def resolved_keys(deployment: Deployment) -> set[str]:
    """The keys `deployment` resolves, computed from its stored rows (what its ResolvedKey rows
    hold once refreshed)."""
    messages = deployment.deployment_commits.values_list("message", "commit__message")
    return keys_in(
        resolves=deployment.resolves,
        messages=(text for pair in messages for text in pair),
    )


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def refresh_resolved_keys(*, deployment_ids: Iterable[int]) -> int:
    """Make the stored keys of these deployments what `resolved_keys` computes: rows no longer
    named are deleted, new ones inserted. Three queries per thousand deployments, plus one per
    kind of change; returns how many rows were written or deleted."""
    ids = sorted(set(deployment_ids))
    written = 0
    for chunk in _chunks(ids):
        written += _refresh(chunk)
    return written


def _refresh(ids: Sequence[int]) -> int:
    wanted: dict[tuple[int, str], int] = {}  # (deployment, key) -> project
    projects: dict[int, int] = {}
    for pk, project_id, resolves in Deployment.objects.filter(pk__in=ids).values_list(
        "pk", "project_id", "resolves"
    ):
        projects[pk] = project_id
        for key in keys_in(resolves=resolves, messages=()):
            wanted[pk, key] = project_id
    for deployment_id, own, commit_message in DeploymentCommit.objects.filter(
        deployment_id__in=ids
    ).values_list("deployment_id", "message", "commit__message"):
        for key in keys_in(resolves=(), messages=(own, commit_message)):
            wanted[deployment_id, key] = projects[deployment_id]
    # A longer key names no issue (see KEY_MAX_LENGTH): not stored, as it could match nothing.
    wanted = {k: v for k, v in wanted.items() if len(k[1]) <= KEY_MAX_LENGTH}
    stale = []
    for pk, deployment_id, key, project_id in ResolvedKey.objects.filter(
        deployment_id__in=ids
    ).values_list("pk", "deployment_id", "key", "project_id"):
        if wanted.get((deployment_id, key)) == project_id:
            del wanted[deployment_id, key]  # stored as it should be
        else:
            stale.append(pk)
    if stale:
        ResolvedKey.objects.filter(pk__in=stale).delete()
    if wanted:
        ResolvedKey.objects.bulk_create(
            [
                ResolvedKey(deployment_id=deployment_id, key=key, project_id=project_id)
                for (deployment_id, key), project_id in sorted(wanted.items())
            ],
            # A concurrent refresh of the same deployment may have written the same row.
            ignore_conflicts=True,
        )
    return len(stale) + len(wanted)


def refresh_for_commits(*, commit_ids: Iterable[int]) -> int:
    """A change's message was set or corrected: refresh the deployments that hold it."""
    commit_ids = list(commit_ids)
    if not commit_ids:
        return 0
    holders = (
        DeploymentCommit.objects.filter(commit_id__in=commit_ids)
        .values_list("deployment_id", flat=True)
        .distinct()
    )
    return refresh_resolved_keys(deployment_ids=list(holders))
