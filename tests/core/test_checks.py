"""Production guard rails: production settings with eager Celery, a per-process cache or SQLite
do not start (`manage.py`, the WSGI application, the Celery worker) unless
DORAHUB_ALLOW_SINGLE_PROCESS says the installation is one process."""

import subprocess
import sys

from tests.reliability.conftest import BIN, ROOT, subprocess_env

SECRET_KEY = "guard-rails-" + "k" * 60
POSTGRES = "postgres://postgres@127.0.0.1:5432/dorahub"  # `check` never connects
REDIS = "redis://127.0.0.1:6379/0"


def run(*command: str, settings: str = "production", **env: str) -> subprocess.CompletedProcess:
    environment = subprocess_env(
        DJANGO_SETTINGS_MODULE=f"config.settings.{settings}", SECRET_KEY=SECRET_KEY, **env
    )
    return subprocess.run(
        list(command), env=environment, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def check(**env: str) -> subprocess.CompletedProcess:
    return run(sys.executable, "manage.py", "check", **env)


def test_production_with_a_broker_a_shared_cache_and_postgresql_passes():
    result = check(DATABASE_URL=POSTGRES, REDIS_URL=REDIS)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_without_redis_is_refused_for_eager_celery_and_the_per_process_cache():
    result = check(DATABASE_URL=POSTGRES)

    assert result.returncode == 1
    assert "(dorahub.E001) Production settings run Celery tasks eagerly" in result.stderr
    assert "(dorahub.E002) Production settings use a per-process cache for 'default'" in (
        result.stderr
    )
    assert "dorahub.E003" not in result.stderr
    assert "DORAHUB_ALLOW_SINGLE_PROCESS=true" in result.stderr


def test_a_broker_without_a_shared_cache_is_still_refused():
    result = check(DATABASE_URL=POSTGRES, CELERY_BROKER_URL=REDIS)

    assert result.returncode == 1
    assert "dorahub.E001" not in result.stderr
    assert "(dorahub.E002)" in result.stderr


def test_production_on_sqlite_is_refused():
    result = check(REDIS_URL=REDIS)

    assert result.returncode == 1
    assert "(dorahub.E003) Production settings use SQLite for the 'default' database." in (
        result.stderr
    )
    assert "Set DATABASE_URL to a PostgreSQL database" in result.stderr
    assert "dorahub.E001" not in result.stderr
    assert "dorahub.E002" not in result.stderr


def test_a_single_process_install_is_allowed_explicitly():
    result = check(DORAHUB_ALLOW_SINGLE_PROCESS="true")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_development_settings_keep_the_embedded_defaults():
    result = run(sys.executable, "manage.py", "check", settings="local")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_wsgi_application_refuses_to_load():
    refused = run(sys.executable, "-c", "import config.wsgi", DATABASE_URL=POSTGRES)
    served = run(sys.executable, "-c", "import config.wsgi", DATABASE_URL=POSTGRES, REDIS_URL=REDIS)

    assert refused.returncode == 1
    assert "ImproperlyConfigured" in refused.stderr
    assert "(dorahub.E001)" in refused.stderr
    assert served.returncode == 0, served.stderr


def test_the_celery_worker_refuses_to_start():
    worker = run(
        str(BIN / "celery"), "-A", "config.celery_app", "worker", "--pool=solo",
        "--without-mingle", "--without-gossip", "--without-heartbeat",
        DATABASE_URL=POSTGRES,
    )  # fmt: skip

    assert worker.returncode == 1
    assert "Refusing to start the worker" in worker.stderr
    assert "(dorahub.E001)" in worker.stderr
