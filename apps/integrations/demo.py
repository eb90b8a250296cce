"""Realistic demo history, written through the same services the webhooks use."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from apps.connections.models import Connection
from apps.connections.services import create_connection, get_or_create_project
from apps.deployments.services import CommitRef, DeploymentData, upsert_deployment
from apps.issues.services import IssueData, upsert_issue


@dataclass(frozen=True)
class DemoTeam:
    slug: str
    name: str
    repos: tuple[str, ...]
    deploys_per_week: float
    failure_rate: float
    incident_rate: float


TEAMS = (
    DemoTeam("shop", "Shop", ("acme/shop-web", "acme/shop-api"), 9.0, 0.05, 0.06),
    DemoTeam("payments", "Payments", ("acme/payments",), 3.0, 0.10, 0.12),
    DemoTeam("search", "Search", ("acme/search", "acme/indexer"), 0.8, 0.15, 0.2),
)


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
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    start = now - timedelta(days=days)
    summary = DemoSummary()
    for team in TEAMS:
        project = get_or_create_project(slug=team.slug, name=team.name)
        connection = Connection.objects.filter(project=project, kind="devlake").first()
        if connection is None:
            connection, _ = create_connection(
                project=project, name=f"{team.slug}-deploys", kind="devlake"
            )
        with transaction.atomic():
            _seed_team(rng, team, connection, start, now, summary)
    return summary


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
    while True:
        moment += timedelta(hours=rng.expovariate(1 / mean_gap_hours))
        if moment >= now:
            return
        if moment.weekday() >= 5 and rng.random() < 0.8:
            continue  # teams rarely ship at weekends
        counter += 1
        repo = rng.choice(team.repos)
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
        finished = moment + timedelta(minutes=rng.uniform(3, 25))
        result = upsert_deployment(
            connection=connection,
            data=DeploymentData(
                external_id=f"{team.slug}-{counter}",
                environment="PRODUCTION",
                result="FAILURE" if failed_attempt else "SUCCESS",
                name=f"{repo} release {counter}",
                repo_url=f"https://github.com/{repo}",
                started_at=moment,
                finished_at=finished,
                commits=refs,
            ),
        )
        summary.deployments += 1
        if failed_attempt or rng.random() >= team.incident_rate:
            continue
        created = finished + timedelta(minutes=rng.uniform(5, 600))
        if created >= now:
            continue
        resolved = created + timedelta(minutes=rng.uniform(20, 60 * 30))
        explicit = rng.random() < 0.5
        upsert_issue(
            connection=connection,
            data=IssueData(
                issue_key=f"{team.slug.upper()}-INC-{counter}",
                title=f"{repo}: elevated error rate",
                type="INCIDENT",
                status="DONE" if resolved < now else "IN_PROGRESS",
                original_status="resolved" if resolved < now else "investigating",
                created_at=created,
                resolved_at=resolved if resolved < now else None,
                caused_by_ref=result.deployment.external_id if explicit else "",
                repo_url=f"https://github.com/{repo}",
            ),
        )
        summary.incidents += 1
