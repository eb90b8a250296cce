"""Production settings: every secret comes from the environment; DEBUG can never be on."""

from .base import *  # noqa: F403
from .base import MIDDLEWARE, STORAGES, env

DEBUG = False  # deliberately not read from the environment
SECRET_KEY = env.str("SECRET_KEY")  # required: no default
# Several web and worker processes: no eager Celery, per-process cache or SQLite unless
# DORAHUB_ALLOW_SINGLE_PROCESS (apps/core/checks.py).
DORAHUB_REQUIRE_SHARED_SERVICES = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

MIDDLEWARE = [*MIDDLEWARE, "apps.core.middleware.ContentSecurityPolicyMiddleware"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
