"""Settings shared by every environment; everything that varies is read from the environment."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # In layer order (docs/architecture.md): each app imports only from the apps above it here.
    "apps.core",
    "apps.connections",
    "apps.teams",
    "apps.marks",
    "apps.events",
    "apps.deployments",
    "apps.issues",
    "apps.ci",
    "apps.derive",
    "apps.metrics",
    "apps.ingest",
    "apps.integrations",
    "apps.operations",
    "apps.dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Webhook bursts write concurrently: wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})
    # A dead database must fail fast with a 503, never hang a sender.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
    # JIT compilation costs up to seconds on the metrics queries, which the planner prices high
    # but which run in milliseconds (docs/performance.md): off, as for most web workloads.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# --- DORA Hub ---------------------------------------------------------------
# Keys at rest, comma-separated, newest first: signing secrets are encrypted with the first
# FIELD_ENCRYPTION_KEY and decrypted with any (MultiFernet); token digests are made with the
# first TOKEN_HASH_KEY and checked against each. Unset, both derive from SECRET_KEY and then
# SECRET_KEY_FALLBACKS, so rotating SECRET_KEY with the old one as a fallback breaks nothing.
# `manage.py reencrypt_secrets` rewrites every stored secret with the first key.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", default=[])
TOKEN_HASH_KEYS = env.list("TOKEN_HASH_KEY", default=[])
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# How many reverse proxies in front of DORA Hub append to X-Forwarded-For (the README's TLS
# proxy: 1). The login lockout counts failures per client address: with 0 behind a proxy
# every client has the proxy's address.
DORAHUB_TRUSTED_PROXIES = env.int("DORAHUB_TRUSTED_PROXIES", default=0)

# Error reports (the DEBUG page, mailed or logged 500s) never show a caller's credentials.
DEFAULT_EXCEPTION_REPORTER = "apps.core.error_reports.CredentialMaskingReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "apps.core.error_reports.CredentialMaskingFilter"

DORAHUB_MAX_BODY_BYTES = env.int("DORAHUB_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = DORAHUB_MAX_BODY_BYTES
# last_used_at is written at most this often per token.
DORAHUB_TOKEN_TOUCH_SECONDS = env.int("DORAHUB_TOKEN_TOUCH_SECONDS", default=60)
# DORA 2023 is the default benchmark table; 2021 is kept for comparison (METRICS.md).
DORAHUB_BENCHMARK = env.str("DORAHUB_BENCHMARK", default="2023")
DORAHUB_INBOX_RETENTION_DAYS = env.int("DORAHUB_INBOX_RETENTION_DAYS", default=90)
# Metric snapshots are rebuilt this long after a write, so a burst of deliveries coalesces into
# at most one rebuild a second; the snapshot counts a delivery about a second after its 2xx
# (docs/performance.md, "Freshness").
DORAHUB_RECOMPUTE_DELAY_SECONDS = env.int("DORAHUB_RECOMPUTE_DELAY_SECONDS", default=1)
# Accepted deliveries still unprocessed after this long are re-enqueued by the reconciliation.
DORAHUB_RECONCILE_AFTER_SECONDS = env.int("DORAHUB_RECONCILE_AFTER_SECONDS", default=120)
# Exposes /bench/bare, the baseline of bench/ingest.py; never set it in production.
DORAHUB_BENCH_ENDPOINT = env.bool("DORAHUB_BENCH_ENDPOINT", default=False)
# Outgoing trigger deliveries: retries after the first attempt (60 s doubling, capped at 8 h:
# 11 retries span about a day).
# A delivery whose processing raised is marked failed at once and replayed by the beat task
# `retry-failed-deliveries` until it has been tried this many times in all.
DORAHUB_INBOX_MAX_ATTEMPTS = env.int("DORAHUB_INBOX_MAX_ATTEMPTS", default=5)
DORAHUB_TRIGGER_MAX_RETRIES = env.int("DORAHUB_TRIGGER_MAX_RETRIES", default=11)
# Production settings require a broker, a shared cache and PostgreSQL (system checks
# dorahub.E001-E003, apps/core/checks.py); true allows a deliberately single-process install.
DORAHUB_ALLOW_SINGLE_PROCESS = env.bool("DORAHUB_ALLOW_SINGLE_PROCESS", default=False)
DORAHUB_REQUIRE_SHARED_SERVICES = False  # production.py turns the guard rails on
# Per-sender ingestion limit. 6,000 a minute (100/s sustained) is far above what a CI fleet
# sends per connection; bursts beyond it get 429 with Retry-After. 0 disables the limit.
DORAHUB_INGEST_RATE_PER_MINUTE = env.int("DORAHUB_INGEST_RATE_PER_MINUTE", default=6000)
# The ingest road (docs/scaling.md): a delivery is validated and stored in the request, and
# applied by the applier (apps.ingest.applier) in batches. With no broker (`make run`) the
# applier runs in the request after the commit, so the answer carries the full outcome
# (DORAHUB_APPLY_INLINE, set below with Celery's settings).
# Deliveries one applier transaction applies at most.
DORAHUB_APPLIER_BATCH = env.int("DORAHUB_APPLIER_BATCH", default=500)
# The longest `Prefer: wait=N` a sender may ask for, in seconds.
DORAHUB_PREFER_WAIT_MAX_SECONDS = env.int("DORAHUB_PREFER_WAIT_MAX_SECONDS", default=10)
# How long a web process trusts a token it looked up: a revoked or expired token, or a
# disabled connection, stops working within this many seconds. 0 looks up every request.
DORAHUB_TOKEN_CACHE_SECONDS = env.int("DORAHUB_TOKEN_CACHE_SECONDS", default=5)
# How long the figures of a project with every day rebuilt are kept in the cache (their key
# changes with each rebuild, so this only bounds the cache's size). 0 computes every request.
DORAHUB_FIGURE_CACHE_SECONDS = env.int("DORAHUB_FIGURE_CACHE_SECONDS", default=86400)

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.connections.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "DORA Hub API",
    "DESCRIPTION": "Webhook ingestion and DORA metrics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: the app runs offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The cache coordinates workers (the pending-recompute flag), so it is shared when Redis is there.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# No broker configured: tasks run in-process so `make run` stays one process.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
DORAHUB_APPLY_INLINE = env.bool("DORAHUB_APPLY_INLINE", default=CELERY_TASK_ALWAYS_EAGER)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish while the broker is down must fail fast: the inbox keeps the delivery and the
# reconciliation task re-enqueues it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    # Longer than the longest trigger retry wait (8 h), so Redis does not hand a scheduled
    # retry to a second worker; a message lost with a killed worker is found sooner by the
    # reconciliation tasks, which look at the database, not the broker.
    "visibility_timeout": 9 * 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    # Requests queue an applier run themselves; this one catches deliveries accepted while the
    # broker was unreachable.
    "apply-deliveries": {
        "task": "apps.ingest.tasks.apply_deliveries",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    "reconcile": {"task": "apps.operations.tasks.reconcile", "schedule": 300.0},
    "prune-inbox": {"task": "apps.ingest.tasks.prune_inbox", "schedule": 86400.0},
    "reconcile-triggers": {"task": "apps.events.tasks.reconcile_triggers", "schedule": 60.0},
    "retry-failed-deliveries": {
        "task": "apps.ingest.tasks.retry_failed_deliveries",
        "schedule": 300.0,
    },
}

# Eager mode (`make run`: tasks run in the web process) is quiet by default, warnings and errors
# only, so what `make run` prints last stays on the screen; LOG_LEVEL=INFO shows every request
# and task. With a broker (worker processes), INFO as before.
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "apps.core.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"level": LOG_LEVEL},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Without a broker kombu warns on every enqueue that it would use localhost; eager
        # mode never connects, so that warning is noise there.
        "kombu": {"level": "ERROR" if CELERY_TASK_ALWAYS_EAGER else LOG_LEVEL},
    },
}
