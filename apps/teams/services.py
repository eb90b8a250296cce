from collections.abc import Iterable

from django.db import transaction

from apps.connections.models import Project
from apps.teams.models import Team


@transaction.atomic
def ensure_team(*, slug: str, name: str, projects: Iterable[Project]) -> Team:
    """The team `slug` with exactly these projects (idempotent: the demo data re-runs)."""
    team, _ = Team.objects.update_or_create(slug=slug, defaults={"name": name})
    team.projects.set(list(projects))
    return team
