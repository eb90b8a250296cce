"""`make run`'s server: Django's runserver, then, last on the screen, what a new user needs
(the URL, the admin user and its one-time password on the first run, where the docs are)."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from apps.core.services import ensure_admin_user


class Command(RunserverCommand):
    help = "Serve the app (runserver) and print the URL, admin login and docs last."

    def inner_run(self, *args: Any, **options: Any) -> None:
        # Here, in the process that serves (the reloader's child), so the password is printed
        # by the process that made it and never written anywhere.
        self.admin_password = ensure_admin_user(username="admin")
        super().inner_run(*args, **options)

    def on_bind(self, server_port: int) -> None:
        super().on_bind(server_port)
        # runserver's handle() sets `addr`; the stubs do not declare it.
        addr: str = self.addr  # type: ignore[attr-defined]
        host = "127.0.0.1" if addr in ("0", "0.0.0.0") else addr  # noqa: S104
        url = f"{self.protocol}://{host}:{server_port}"
        self.stdout.write(banner(url=url, password=getattr(self, "admin_password", None)))


def banner(*, url: str, password: str | None) -> str:
    user_model = get_user_model()
    admin = user_model.objects.filter(is_superuser=True).order_by("pk").first()
    username = admin.get_username() if admin else "admin"
    if password:
        login = (
            f"user {username}, password {password}\n"
            "              (shown only now: copy it, or change it at /admin/password_change/)"
        )
    else:
        login = (
            f"user {username} (its password was shown on the first run; to set a new one:\n"
            f"              .venv/bin/python manage.py changepassword {username})"
        )
    level = settings.LOG_LEVEL.upper()
    logs = (
        "warnings and errors only (LOG_LEVEL=INFO make run shows every request and task)"
        if level in ("WARNING", "ERROR", "CRITICAL")
        else f"{level} (set by LOG_LEVEL)"
    )
    rule = "=" * 78
    return (
        f"\n{rule}\n"
        f"  DORA Hub is running at {url}/\n"
        f"  Admin:      {url}/admin/  {login}\n"
        f"  Start here: docs/getting-started.md (a first connection and a year of history\n"
        f"              in ten minutes); all docs: docs/README.md; API: {url}/api/docs/\n"
        f"  Logs:       {logs}\n"
        f"{rule}\n"
    )
