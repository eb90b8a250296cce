from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from apps.ingest.services import prune_deliveries


class Command(BaseCommand):
    help = "Delete inbox deliveries older than the retention (never unprocessed accepted ones)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=settings.DORAHUB_INBOX_RETENTION_DAYS)

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = prune_deliveries(older_than=timedelta(days=options["days"]))
        self.stdout.write(f"Deleted {deleted} deliveries older than {options['days']} days.")
