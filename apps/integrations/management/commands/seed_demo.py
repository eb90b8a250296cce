from typing import Any

from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandParser

from apps.deployments.models import Deployment
from apps.integrations import demo


class Command(BaseCommand):
    help = "Generate about six months of realistic demo data for three projects."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=180)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if any deployment exists"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Deployment.objects.exists():
            self.stdout.write("Data already present; demo data not loaded again.")
            return
        summary = demo.seed(days=options["days"])
        self.stdout.write(
            f"Demo data: {summary.deployments} deployments, {summary.changes} changes, "
            f"{summary.incidents} incidents in {len(demo.TEAMS)} projects."
        )
        if "recompute_metrics" in get_commands():
            # --all: the demo is written without follow-ups, so its links are decided here.
            self.call_command_quietly("recompute_metrics", "--all")

    def call_command_quietly(self, name: str, *args: str) -> None:
        from django.core.management import call_command

        call_command(name, *args, stdout=self.stdout)
