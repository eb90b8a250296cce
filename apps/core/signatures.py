"""HMAC-SHA256 body signatures, the scheme every signing sender and our own triggers use."""

import base64
import hashlib
import hmac


def hmac_sha256_hex(*, secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hmac_sha256_base64(*, key: bytes, body: bytes) -> str:
    """Base64 of the HMAC-SHA256 digest (Standard Webhooks / Svix sign this way, with a key
    that is itself sent base64-encoded)."""
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def signatures_match(*, expected: str, presented: str) -> bool:
    """Constant-time comparison that never raises on odd (non-ASCII) header values."""
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "replace"))


def any_signature_matches(*, expected: str, presented: list[str]) -> bool:
    """True when one of several presented signatures matches (senders rotating a secret sign
    with both); every candidate is compared, so the time taken does not say which matched."""
    matches = [signatures_match(expected=expected, presented=item) for item in presented]
    return any(matches)
