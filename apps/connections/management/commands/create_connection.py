import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.connections.models import ConnectionKind
from apps.connections.services import create_connection, get_or_create_project


class Command(BaseCommand):
    help = "Create a connection (and its project if missing) with one API token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="project slug (created if missing)")
        parser.add_argument("--name", required=True, help="unique connection name")
        parser.add_argument("--kind", required=True, choices=ConnectionKind.values)
        parser.add_argument("--secret", default="", help="signing secret for signed deliveries")
        parser.add_argument(
            "--connection-settings", default="{}", help="connection settings as JSON"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            connection_settings = json.loads(options["connection_settings"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--connection-settings is not valid JSON: {exc}") from None
        project = get_or_create_project(slug=options["project"])
        try:
            connection, issued = create_connection(
                project=project,
                name=options["name"],
                kind=options["kind"],
                secret=options["secret"],
                connection_settings=connection_settings,
            )
        except Exception as exc:
            raise CommandError(f"Could not create connection: {exc}") from None
        if options["json"]:
            payload = {
                "id": connection.pk,
                "name": connection.name,
                "project": project.slug,
                "token": issued.plaintext,
            }
            self.stdout.write(json.dumps(payload))
            return
        self.stdout.write(f"Connection {connection.name} (id {connection.pk}) in {project.slug}")
        self.stdout.write(f"API token (shown once): {issued.plaintext}")
