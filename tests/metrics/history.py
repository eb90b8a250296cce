"""Random histories (hypothesis) and a writer that posts them through the ingestion services,
running the follow-ups after each item as the pipeline does after each delivery."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model
from hypothesis import strategies as st

from apps.connections.models import Connection, Project
from apps.deployments.changes import CommitRef, record_change
from apps.deployments.models import Deployment
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.derive import attribution
from apps.derive.services import after_deployments, after_incidents
from apps.issues.services import IssueData, upsert_issue
from tests.metrics import reference as ref

ORIGIN = datetime(2024, 3, 1, tzinfo=UTC)
SINCE, UNTIL = date(2024, 3, 4), date(2024, 4, 1)  # four weeks across a DST change (US)
SHAS = [str(n) * 40 for n in range(1, 9)]
rarely = st.sampled_from([False, False, False, False, True])
REPO = "https://github.com/acme/shop"

moments = st.integers(min_value=-3 * 24 * 60, max_value=34 * 24 * 60).map(
    lambda minutes: ORIGIN + timedelta(minutes=minutes)
)


@st.composite
def deployments(draw: st.DrawFn, index: int) -> ref.Deployment:
    commits = draw(st.lists(st.sampled_from(SHAS), min_size=1, max_size=3, unique=True))
    return ref.Deployment(
        external_id=f"d{index}",
        finished_at=draw(moments),
        commits=tuple(commits),
        result=draw(st.sampled_from(["SUCCESS"] * 4 + ["FAILURE", "ABORT"])),
        environment=draw(st.sampled_from(["PRODUCTION"] * 3 + ["STAGING"])),
        is_rollback=draw(rarely),
        is_hotfix=draw(rarely),
        resolves=tuple(draw(st.lists(st.sampled_from([f"INC-{n}" for n in range(6)]), max_size=1))),
        person_rework=draw(st.sampled_from(["", "", "", "", "rollback", "hotfix", "not_rework"])),
    )


@st.composite
def incidents(draw: st.DrawFn, index: int, deployment_ids: list[str]) -> ref.Incident:
    created = draw(moments)
    duration = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=10 * 24 * 60)))
    caused_by = draw(st.sampled_from(["", "", "", "nowhere", *deployment_ids]))
    return ref.Incident(
        key=f"INC-{index}",
        created_at=created,
        resolved_at=None if duration is None else created + timedelta(minutes=duration),
        caused_by=caused_by,
        # "Not caused by a deployment" only: a decision naming a deployment that has not
        # arrived yet cannot be taken (tests/issues/test_attribution.py covers naming one).
        person=draw(st.sampled_from([None, None, None, ""])),
    )


@st.composite
def histories(draw: st.DrawFn) -> ref.History:
    count = draw(st.integers(min_value=0, max_value=10))
    deployed = [draw(deployments(i)) for i in range(count)]
    ids = [d.external_id for d in deployed]
    incident_count = draw(st.integers(min_value=0, max_value=5))
    changes = [
        ref.Change(sha=sha, start=draw(moments))
        for sha in draw(st.lists(st.sampled_from(SHAS), unique=True))
    ]
    return ref.History(
        deployments=deployed,
        changes=changes,
        incidents=[draw(incidents(i, ids)) for i in range(incident_count)],
        time_zone=draw(st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"])),
        link_window=timedelta(days=draw(st.sampled_from([1, 3, 7]))),
    )


def items(history: ref.History) -> list[object]:
    return [*history.deployments, *history.changes, *history.incidents]


def write(connection: Connection, item: object) -> None:
    """Post one item through the services, then run its follow-ups."""
    project = connection.project
    if isinstance(item, ref.Deployment):
        result = upsert_deployment(
            connection=connection,
            data=DeploymentData(
                external_id=item.external_id,
                finished_at=item.finished_at,
                started_at=item.finished_at - timedelta(minutes=5),
                commits=[CommitRef(sha=sha, repo_url=REPO) for sha in item.commits],
                commit_sha=item.commit_sha,
                repo_url=REPO,
                result=item.result,
                environment=item.environment,
                is_rollback=item.is_rollback,
                is_hotfix=item.is_hotfix,
                resolves=item.resolves,
            ),
        )
        after_deployments(deployment_ids=[result.deployment.pk])
        if item.person_rework:
            attribution.mark_deployment(
                deployment=result.deployment,
                action=item.person_rework,
                reason="a person's mark",
                user=_decider(),
            )
    elif isinstance(item, ref.Change):
        record_change(project=project, sha=item.sha, reported_at=item.start, repo_url=REPO)
    elif isinstance(item, ref.Incident):
        result = upsert_issue(
            connection=connection,
            data=IssueData(
                issue_key=item.key,
                title="outage",
                type="INCIDENT",
                created_at=item.created_at,
                status="DONE" if item.resolved_at else "TODO",
                resolved_at=item.resolved_at,
                caused_by_ref=item.caused_by,
            ),
        )
        after_incidents(issue_ids=[result.issue.pk])
        if item.person is not None:
            attribution.decide_incident(
                issue=result.issue,
                deployment=Deployment.objects.filter(
                    connection=connection, external_id=item.person
                ).first(),
                reason="a person's decision",
                user=_decider(),
            )
    else:
        raise TypeError(item)


def _decider():
    """The person who decides (a superuser holds the attribution permission)."""
    user, _ = get_user_model().objects.get_or_create(
        username="decider", defaults={"is_superuser": True, "is_staff": True}
    )
    return user


def write_in_two_parts(
    history: ref.History, split: float, between: Callable[[Project], object] = lambda _: None
) -> Project:
    """A project of `history`'s time zone and link window, its items written in two parts: the
    first `split` of them, rebuilt, then `between(project)`, then the rest, left marked."""
    from apps.metrics.services import recompute_dirty
    from tests.factories import ConnectionFactory, ProjectFactory

    project = ProjectFactory(time_zone=history.time_zone, incident_link_window=history.link_window)
    connection = ConnectionFactory(project=project)
    written = items(history)
    cut = round(split * len(written))
    for item in written[:cut]:
        write(connection, item)
    recompute_dirty()
    between(project)
    for item in written[cut:]:
        write(connection, item)
    return project
