"""Realistic demo history, written through the same services the webhooks use."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from apps.connections.models import Connection, Project
from apps.connections.services import create_connection, get_or_create_project
from apps.deployments.changes import CommitRef
from apps.deployments.models import Deployment
from apps.deployments.services import DeploymentData, upsert_deployment
from apps.derive import attribution
from apps.issues.models import Issue
from apps.issues.services import IssueData, upsert_issue
from apps.teams.services import ensure_team


@dataclass(frozen=True)
class DemoTeam:
    """One demo project (the name is historical: the teams are `ORG_TEAMS`)."""

    slug: str
    name: str
    repos: tuple[str, ...]
    deploys_per_week: float
    failure_rate: float
    incident_rate: float
    staging_rate: float = 0.0  # share of releases deployed to staging first


TEAMS = (
    DemoTeam("shop", "Shop", ("acme/shop-web", "acme/shop-api"), 9.0, 0.05, 0.06, 0.5),
    DemoTeam("payments", "Payments", ("acme/payments",), 3.0, 0.10, 0.12, 0.8),
    DemoTeam("search", "Search", ("acme/search", "acme/indexer"), 0.8, 0.15, 0.2),
)
# A project with no data yet: the overview collapses such projects into one line.
EMPTY_PROJECTS = (("billing", "Billing"),)
# Teams: named sets of projects (admin-managed); their figures are over the union of rows.
ORG_TEAMS = (
    ("commerce", "Commerce", ("shop", "payments")),
    ("discovery", "Discovery", ("search", "billing")),
)
# The service each repository deploys.
SERVICES = {
    "acme/shop-web": "web",
    "acme/shop-api": "api",
    "acme/payments": "payments-api",
    "acme/search": "search-api",
    "acme/indexer": "indexer",
}


MESSAGES = (
    "fix: handle empty cart totals (#{n})",
    "feat: coupon codes at checkout (#{n})",
    "chore: bump dependencies (#{n})",
    "perf: cache product lookups (#{n})",
    "refactor: split payment adapters (#{n})",
    "fix: retry flaky upstream call (#{n})",
    "feat: search suggestions (#{n})",
    "docs: runbook for on-call (#{n})",
)


@dataclass
class DemoSummary:
    deployments: int = 0
    changes: int = 0
    incidents: int = 0


def seed(*, days: int = 180, now: datetime | None = None, seed: int = 7) -> DemoSummary:
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    # History starts at midnight on a Monday, so one seed gives the same releases on whatever
    # day it runs (teams rarely ship at weekends): a later day only adds the newest ones.
    start = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0)
    start -= timedelta(days=start.weekday())
    summary = DemoSummary()
    for slug, name in EMPTY_PROJECTS:
        get_or_create_project(slug=slug, name=name)
    for team in TEAMS:
        project = get_or_create_project(slug=team.slug, name=team.name)
        connection = Connection.objects.filter(project=project, kind="devlake").first()
        if connection is None:
            connection, _ = create_connection(
                project=project, name=f"{team.slug}-deploys", kind="devlake"
            )
        with transaction.atomic():
            # A sequence per project, so one project's history does not shift another's.
            rng = random.Random(f"{seed}:{team.slug}")
            _seed_team(rng, team, connection, start, now, summary)
            _seed_open_and_unlinked(team, connection, now, summary)
    for slug, name, members in ORG_TEAMS:
        ensure_team(slug=slug, name=name, projects=Project.objects.filter(slug__in=members))
    _a_persons_corrections()
    return summary


def _a_persons_corrections() -> None:
    """A lead decided the unlinked mobile incident was no deployment's fault, and marked one
    release a hotfix the pipeline did not flag: both shown, with their reasons, on the pages."""
    lead, _ = get_user_model().objects.get_or_create(
        username="demo-lead", defaults={"is_staff": True, "is_superuser": True}
    )
    mobile = Issue.objects.filter(issue_key="SHOP-INC-MOBILE").first()
    if mobile is not None and not mobile.decisions.exists():
        attribution.decide_incident(
            issue=mobile,
            deployment=None,
            reason="The Android app is released through the store, not by this pipeline.",
            user=lead,
        )
    release = (
        Deployment.objects.filter(
            project__slug="payments",
            environment="PRODUCTION",
            result="SUCCESS",
            is_hotfix=False,
            is_rollback=False,
        )
        .order_by("-finished_at")
        .first()
    )
    if release is not None and not release.decisions.exists():
        attribution.mark_deployment(
            deployment=release,
            action="hotfix",
            reason="Shipped out of the release train to fix the card-declined bug.",
            user=lead,
        )


def _seed_open_and_unlinked(
    team: DemoTeam, connection: Connection, now: datetime, summary: DemoSummary
) -> None:
    """Every project has an incident open now; the shop also has one no rule can link (it
    names a repository that never deployed), so a person has to decide it."""
    repo = team.repos[0]
    upsert_issue(
        connection=connection,
        data=IssueData(
            issue_key=f"{team.slug.upper()}-INC-OPEN",
            title=f"{repo}: latency above the SLO",
            type="INCIDENT",
            status="IN_PROGRESS",
            original_status="investigating",
            created_at=now - timedelta(hours=30 if team.slug == "shop" else 5),
            repo_url=f"https://github.com/{repo}",
            service=SERVICES[repo],
        ),
    )
    summary.incidents += 1
    if team.slug != "shop":
        return
    upsert_issue(
        connection=connection,
        data=IssueData(
            issue_key="SHOP-INC-MOBILE",
            title="acme/shop-mobile: checkout button missing on Android",
            type="INCIDENT",
            status="DONE",
            original_status="resolved",
            created_at=now - timedelta(days=6, hours=3),
            resolved_at=now - timedelta(days=6),
            repo_url="https://github.com/acme/shop-mobile",
        ),
    )
    summary.incidents += 1


def _seed_team(
    rng: random.Random,
    team: DemoTeam,
    connection: Connection,
    start: datetime,
    now: datetime,
    summary: DemoSummary,
) -> None:
    moment = start
    counter = 0
    mean_gap_hours = 24 * 7 / team.deploys_per_week
    shipped: dict[str, CommitRef] = {}  # the head last deployed to production, per repository
    while True:
        moment += timedelta(hours=rng.expovariate(1 / mean_gap_hours))
        if moment >= now:
            return
        if moment.weekday() >= 5 and rng.random() < 0.8:
            continue  # teams rarely ship at weekends
        counter += 1
        repo = rng.choice(team.repos)
        service = SERVICES[repo]
        refs = []
        for _ in range(rng.randint(1, 20)):
            authored = moment - timedelta(hours=rng.uniform(0.5, 24 * rng.choice((1, 2, 5, 12))))
            refs.append(
                CommitRef(
                    sha=f"{rng.getrandbits(160):040x}",
                    repo_url=f"https://github.com/{repo}",
                    message=rng.choice(MESSAGES).format(n=counter),
                    authored_at=authored,
                )
            )
            summary.changes += 1
        failed_attempt = rng.random() < team.failure_rate
        if rng.random() < team.staging_rate:
            upsert_deployment(
                connection=connection,
                data=DeploymentData(
                    external_id=f"{team.slug}-{counter}-staging",
                    environment="STAGING",
                    name=f"{repo} release {counter} (staging)",
                    repo_url=f"https://github.com/{repo}",
                    service=service,
                    commit_sha=refs[-1].sha,
                    started_at=moment - timedelta(hours=2),
                    finished_at=moment - timedelta(hours=1, minutes=50),
                    commits=refs,
                ),
            )
            summary.deployments += 1
        finished = moment + timedelta(minutes=rng.uniform(3, 25))
        result = upsert_deployment(
            connection=connection,
            data=DeploymentData(
                external_id=f"{team.slug}-{counter}",
                environment="PRODUCTION",
                result="FAILURE" if failed_attempt else "SUCCESS",
                name=f"{repo} release {counter}",
                repo_url=f"https://github.com/{repo}",
                service=service,
                commit_sha=refs[-1].sha,
                started_at=moment,
                finished_at=finished,
                commits=refs,
            ),
        )
        summary.deployments += 1
        previous_head = shipped.get(repo)
        if not failed_attempt:
            shipped[repo] = refs[-1]
        if failed_attempt or rng.random() >= team.incident_rate:
            continue
        created = finished + timedelta(minutes=rng.uniform(5, 600))
        if created >= now:
            continue
        resolved = created + timedelta(minutes=rng.uniform(20, 60 * 30))
        explicit = rng.random() < 0.5
        key = f"{team.slug.upper()}-INC-{counter}"
        upsert_issue(
            connection=connection,
            data=IssueData(
                issue_key=key,
                title=f"{repo}: elevated error rate",
                type="INCIDENT",
                status="DONE" if resolved < now else "IN_PROGRESS",
                original_status="resolved" if resolved < now else "investigating",
                created_at=created,
                resolved_at=resolved if resolved < now else None,
                caused_by_ref=result.deployment.external_id if explicit else "",
                repo_url=f"https://github.com/{repo}",
                service=service,
            ),
        )
        summary.incidents += 1
        moment = _remediate(
            rng, team, connection, repo, key, previous_head, created, now, moment, summary
        )
        if moment >= now:
            return


def _remediate(
    rng: random.Random,
    team: DemoTeam,
    connection: Connection,
    repo: str,
    key: str,
    previous_head: CommitRef | None,
    created: datetime,
    now: datetime,
    moment: datetime,
    summary: DemoSummary,
) -> datetime:
    """Some incidents are answered by a rollback (the previous head deployed again) or a
    hotfix (a new commit, flagged); returns when the lane is free again."""
    choice = rng.random()
    fixed_at = created + timedelta(minutes=rng.uniform(15, 90))
    if fixed_at >= now or choice >= 0.6:
        return moment
    if choice < 0.3 and previous_head is not None:
        flags: dict[str, Any]
        head, commits, flags = previous_head, [previous_head], {"is_rollback": True}
        name = f"{repo} rollback to {previous_head.sha[:8]}"
    else:
        head = CommitRef(
            sha=f"{rng.getrandbits(160):040x}",
            repo_url=f"https://github.com/{repo}",
            message=f"hotfix: {key}",
            authored_at=created + timedelta(minutes=5),
        )
        commits, flags, name = [head], {"is_hotfix": True}, f"{repo} hotfix for {key}"
        summary.changes += 1
    upsert_deployment(
        connection=connection,
        data=DeploymentData(
            external_id=f"{key.lower()}-fix",
            name=name,
            repo_url=f"https://github.com/{repo}",
            service=SERVICES[repo],
            commit_sha=head.sha,
            started_at=fixed_at - timedelta(minutes=4),
            finished_at=fixed_at,
            commits=commits,
            resolves=[key],
            **flags,
        ),
    )
    summary.deployments += 1
    return max(moment, fixed_at)
