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


def hash_keys() -> list[str]:
    """TOKEN_HASH_KEY (comma-separated, newest first), else SECRET_KEY and its fallbacks."""
    configured = [k for k in getattr(settings, "TOKEN_HASH_KEYS", []) if k]
    if configured:
        return configured
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def digest(token: str, *, key: str | None = None) -> str:
    material = (key if key is not None else hash_keys()[0]).encode()
    return hmac.new(material, token.encode(), hashlib.sha256).hexdigest()


def matching_key(token: str, stored_digest: str) -> int | None:
    """The position of the hash key the stored digest was made with (0: current), or None.
    Every key is compared, in constant time each, whatever matches."""
    found = None
    for position, key in enumerate(hash_keys()):
        if hmac.compare_digest(digest(token, key=key), stored_digest) and found is None:
            found = position
    return found


def matches(token: str, stored_digest: str) -> bool:
    return matching_key(token, stored_digest) is not None
