"""HMAC-SHA256 body signatures, the scheme every signing sender and our own triggers use."""

import hashlib
import hmac


def hmac_sha256_hex(*, secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signatures_match(*, expected: str, presented: str) -> bool:
    """Constant-time comparison that never raises on odd (non-ASCII) header values."""
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "replace"))
