"""API token format and digests.

A token is ``dh_`` + 43 url-safe random characters. We store the first 12 characters as a
lookup prefix and an HMAC-SHA256 of the whole token keyed with a server secret, so a leaked
database does not leak usable tokens and lookups stay one indexed query.
"""

import hashlib
import hmac
import secrets

from django.conf import settings

TOKEN_PREFIX = "dh_"
PREFIX_LENGTH = 12
_RANDOM_BYTES = 32  # 43 url-safe characters


def generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def lookup_prefix(token: str) -> str:
    return token[:PREFIX_LENGTH]


def looks_valid(token: str) -> bool:
    return (
        token.startswith(TOKEN_PREFIX)
        and 40 <= len(token) <= 100
        and all(c.isalnum() or c in "-_" for c in token[len(TOKEN_PREFIX) :])
    )


def digest(token: str) -> str:
    key = (getattr(settings, "TOKEN_HASH_KEY", "") or settings.SECRET_KEY).encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def matches(token: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(token), stored_digest)
