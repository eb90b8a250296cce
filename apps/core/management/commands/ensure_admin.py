from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.core.services import ensure_admin_user


class Command(BaseCommand):
    help = "Create a superuser if none exists and print its one-time password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        password = ensure_admin_user(username=options["username"])
        if password is None:
            self.stdout.write("An admin user already exists; leaving it alone.")
            return
        self.stdout.write(
            self.style.WARNING(
                f"Created admin user '{options['username']}' with password: {password}\n"
                "It is shown only now; change it under /admin/password_change/."
            )
        )
