from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.connections.models import Connection
from apps.operations.services import purge_connection_data


class Command(BaseCommand):
    help = "Delete all data one connection sent (deliveries, deployments, issues, jobs, events)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection", help="connection id or name")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        key = options["connection"]
        lookup = {"pk": int(key)} if key.isdigit() else {"name": key}
        connection = Connection.objects.filter(**lookup).first()
        if connection is None:
            raise CommandError(f"No connection {key!r}.")
        if not options["yes"]:
            raise CommandError(f"Refusing to purge {connection.name} without --yes.")
        deleted = purge_connection_data(connection=connection)
        total = sum(deleted.values())
        self.stdout.write(f"Deleted {total} rows from {connection.name}: {deleted}")
