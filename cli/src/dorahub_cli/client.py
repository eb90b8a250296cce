"""HTTP client for DORA Hub's Pulse-compatible ingestion webhook (`/v1/ingestion/cli`).

Standard library only. Connection errors, 429 and 5xx are retried with exponential backoff
(every write on the server is idempotent, and each request carries one Idempotency-Key across
its retries); any other answer is final and becomes a one-line `CliError`.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from dorahub_cli import __version__

MAX_BACKOFF_SECONDS = 30.0
# How long the server may hold the request to answer the outcome (RFC 7240 `Prefer: wait`).
WAIT_SECONDS = 10
USER_AGENT = f"dorahub-cli/{__version__} (Python {sys.version_info[0]}.{sys.version_info[1]})"


class CliError(Exception):
    """A failure to report to the user in one line; the process exits non-zero."""


class Client:
    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        system: str = "",
        retries: int = 4,
        retry_delay: float = 1.0,
        timeout: float = 30.0,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise CliError(f"{url!r} is not an http(s) URL")
        self.base_url = url.rstrip("/")
        self.api_key = api_key
        self.system = system
        self.retries = max(retries, 0)
        self.retry_delay = max(retry_delay, 0.0)
        self.timeout = timeout

    @property
    def endpoint(self) -> str:
        query = f"?{urllib.parse.urlencode({'system': self.system})}" if self.system else ""
        return f"{self.base_url}/v1/ingestion/cli{query}"

    def send(self, body: Any) -> Any:
        """POST one event (a dict) or a batch (a list); return the decoded answer."""
        data = json.dumps(body).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.api_key}",
            "User-Agent": USER_AGENT,
            # The same key on every retry: a request that did land is answered, not re-applied.
            "Idempotency-Key": str(uuid.uuid4()),
            # The final outcome (created, unchanged, refused), not only the receipt, so what
            # the CLI prints is what was written (docs/scaling.md).
            "Prefer": f"wait={WAIT_SECONDS}",
        }
        attempts = self.retries + 1
        reason, wait_hint = "", None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self._delay(attempt, wait_hint))
            # http(s) only: checked in __init__.
            request = urllib.request.Request(self.endpoint, data=data, headers=headers)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return _decode(response.read())
            except urllib.error.HTTPError as error:
                status, message = error.code, _server_message(error)
                reason = f"{status} {error.reason}: {message}" if message else f"{status}"
                if status != 429 and status < 500:
                    raise CliError(f"the server refused the request: {reason}") from None
                wait_hint = _retry_after(error)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                cause = getattr(error, "reason", None) or error
                reason = f"cannot reach {self.base_url}: {cause}"
                wait_hint = None
        raise CliError(f"{reason} (gave up after {attempts} attempt{'s' * (attempts > 1)})")

    def _delay(self, attempt: int, wait_hint: float | None) -> float:
        if wait_hint is not None:
            return min(wait_hint, MAX_BACKOFF_SECONDS)
        delay = min(self.retry_delay * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
        return delay + random.uniform(0, delay / 4)  # jitter, not security


def _decode(raw: bytes) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        raise CliError("the server answered with something that is not JSON") from None


def _server_message(error: urllib.error.HTTPError) -> str:
    """The `message` of DORA Hub's error shape, else the start of whatever came back."""
    try:
        raw = error.read()
    except OSError:
        return ""
    try:
        body = json.loads(raw.decode("utf-8"))
        message = body["error"]["message"]
        return " ".join(str(message).split())
    except (ValueError, KeyError, TypeError):
        return " ".join(raw.decode("utf-8", "replace").split())[:200]


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    value = error.headers.get("Retry-After") if error.headers else None
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None
