import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create a superuser if none exists and print its one-time password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin user already exists; leaving it alone.")
            return
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(
            username=options["username"], email="", password=password
        )
        self.stdout.write(
            self.style.WARNING(
                f"Created admin user '{options['username']}' with password: {password}\n"
                "It is shown only now; change it under /admin/password_change/."
            )
        )
