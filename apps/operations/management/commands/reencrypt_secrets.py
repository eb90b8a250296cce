"""`manage.py reencrypt_secrets`: after putting a new key first in FIELD_ENCRYPTION_KEY (old
ones after it), rewrite every stored signing secret with the new key; then the old keys can
be removed. Secrets no configured key decrypts are reported, not touched."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.connections.models import Connection
from apps.core import encryption
from apps.events.models import Trigger


class Command(BaseCommand):
    help = "Re-encrypt connection and trigger signing secrets with the first FIELD_ENCRYPTION_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        rewritten, unreadable = 0, []
        with transaction.atomic():
            for model, field in (
                (Connection, "signing_secret_encrypted"),
                (Trigger, "secret_encrypted"),
            ):
                rows = model.objects.select_for_update().exclude(**{field: ""})
                for row in rows.only("pk", "name", field):
                    try:
                        fresh = encryption.reencrypt(getattr(row, field))
                    except ValueError:
                        unreadable.append(f"{model._meta.verbose_name} {row.name!r}")
                        continue
                    model.objects.filter(pk=row.pk).update(**{field: fresh})
                    rewritten += 1
        self.stdout.write(f"Re-encrypted {rewritten} secrets with the current key.")
        if unreadable:
            raise CommandError(
                "No configured key decrypts: " + ", ".join(unreadable) + " (set new secrets)."
            )
