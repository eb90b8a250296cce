import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("dorahub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def refuse_misconfigured_production(**kwargs: Any) -> None:
    """Celery runs Django's system checks at start but ignores their errors, and logs (then
    ignores) an exception raised by a signal handler: exit instead."""
    from django.core.exceptions import ImproperlyConfigured

    from apps.core.checks import refuse_to_start_when_misconfigured

    try:
        refuse_to_start_when_misconfigured()
    except ImproperlyConfigured as error:
        raise SystemExit(f"Refusing to start the worker:\n{error}") from error
