"""Guard rails of the production settings, as Django system checks.

Production runs several web and worker processes. Three defaults of `make run` are wrong there:
eager Celery runs follow-up work (metric rebuilds, trigger deliveries and their retries) inside
the request; a per-process cache keeps the ingest rate limit, the login lockout and the pending
recompute flag apart in each process; SQLite serialises every writer on one file. Each is an
error that stops `manage.py migrate`, `check` and `runserver`, the web application
(`config/wsgi.py`) and the Celery worker, unless `DORAHUB_ALLOW_SINGLE_PROCESS` says the
installation is deliberately one process.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

TAG = "dorahub_production"
ALLOW = "DORAHUB_ALLOW_SINGLE_PROCESS"
_ALLOW_HINT = f"or set {ALLOW}=true for an installation that runs as one single process"
# Cache backends whose entries each process keeps to itself (or never keeps at all).
_PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def _guarded() -> bool:
    return bool(getattr(settings, "DORAHUB_REQUIRE_SHARED_SERVICES", False)) and not bool(
        getattr(settings, "DORAHUB_ALLOW_SINGLE_PROCESS", False)
    )


@register(TAG)
def check_production_services(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not _guarded():
        return []
    errors: list[CheckMessage] = []
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        errors.append(
            Error(
                "Production settings run Celery tasks eagerly: no broker is configured.",
                hint=f"Set REDIS_URL (or CELERY_BROKER_URL) to a Redis server, {_ALLOW_HINT}.",
                id="dorahub.E001",
            )
        )
    for alias, cache in settings.CACHES.items():
        if cache.get("BACKEND") in _PER_PROCESS_CACHES:
            errors.append(
                Error(
                    f"Production settings use a per-process cache for '{alias}' "
                    f"({cache['BACKEND']}): rate limits, login lockouts and the recompute "
                    "flag would differ in every process.",
                    hint=f"Set REDIS_URL to a Redis server, {_ALLOW_HINT}.",
                    id="dorahub.E002",
                )
            )
    for alias, database in settings.DATABASES.items():
        if database.get("ENGINE") == "django.db.backends.sqlite3":
            errors.append(
                Error(
                    f"Production settings use SQLite for the '{alias}' database.",
                    hint=f"Set DATABASE_URL to a PostgreSQL database, {_ALLOW_HINT}.",
                    id="dorahub.E003",
                )
            )
    return errors


def refuse_to_start_when_misconfigured() -> None:
    """Runs the guard rails where Django runs no system checks (a WSGI server, a worker)."""
    from django.core.checks import run_checks
    from django.core.exceptions import ImproperlyConfigured

    errors = [message for message in run_checks(tags=[TAG]) if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(str(error) for error in errors))
