"""Developer settings: SQLite and eager Celery unless the environment says otherwise."""

import secrets

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=True)


def _checkout_secret_key() -> str:
    """A random key generated once per checkout, so no two installs share one."""
    path = BASE_DIR / ".local_secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _checkout_secret_key()
