"""How GitHub signs a delivery, declared as the route's authentication."""

from apps.core.signatures import hmac_sha256_hex, signatures_match
from apps.ingest.authentication import Signature

SIGNATURE_HEADER = "X-Hub-Signature-256"


def github_signature(secret: str, body: bytes) -> str:
    """GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`."""
    return "sha256=" + hmac_sha256_hex(secret=secret, body=body)


def signature_matches(*, secret: str, body: bytes, header: str) -> bool:
    """Compared in constant time."""
    return signatures_match(expected=github_signature(secret, body), presented=header.strip())


SIGNATURE = Signature(
    header=SIGNATURE_HEADER,
    sign=github_signature,
    setup="set the connection's secret on the GitHub webhook",
    # A connection without a secret takes its API key (`?api_key=` in the payload URL).
    token_without_secret=True,
)
