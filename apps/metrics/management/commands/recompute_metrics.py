from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.connections.models import Project
from apps.derive.services import rederive_project
from apps.metrics import services


class Command(BaseCommand):
    help = (
        "Rebuild the daily metric snapshots now. Without options: every day marked dirty. "
        "With --project or --all: decide every incident link and rollback of those projects "
        "again and rebuild all their days (after changing a link window or a time zone)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--project", metavar="SLUG", help="rebuild this project entirely")
        scope.add_argument("--all", action="store_true", help="rebuild every project entirely")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["project"]:
            projects = list(Project.objects.filter(slug=options["project"]))
            if not projects:
                raise CommandError(f"No project with slug {options['project']!r}.")
        elif options["all"]:
            projects = list(Project.objects.all())
        else:
            projects = []
        for project in projects:
            rederive_project(project_id=project.pk)
            services.mark_project(project=project)
        rebuilt = services.recompute_dirty(max_batches=10_000)
        names = ", ".join(p.slug for p in projects)
        suffix = f" (links decided again for {names})" if projects else ""
        self.stdout.write(f"Rebuilt the snapshots of {rebuilt} days{suffix}.")
