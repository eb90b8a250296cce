"""Test settings: the same code paths as production, with fast hashing and eager tasks."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="test-secret-key-not-for-production-use-0123456789")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests run tasks in-process unless a test starts a real worker (marker `celery_worker`).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Deliveries are applied in the request, as with `make run`; the tests of the receipt road
# (tests/ingest/test_applier*.py) turn it off.
DORAHUB_APPLY_INLINE = True
# Every request looks its token up, so a test that revokes a token sees it refused at once.
DORAHUB_TOKEN_CACHE_SECONDS = 0
ALLOWED_HOSTS = ["*"]
# One in-process cache per test run (the worker thread of `celery_worker` tests shares it);
# tests clear it between tests, which must never flush a Redis database the broker uses.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Worker and live-server threads close their connections after each task or request, so the
# test database can be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
