"""One HTTP attempt of an outgoing trigger delivery: sign, POST, classify the answer.

The request connects to the address that passed the target check (no second DNS lookup) and
never follows redirects, so neither rebinding nor a 3xx can send it somewhere refused.
"""

import contextlib
import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from apps.core.signatures import hmac_sha256_hex
from apps.events.targets import Target, TargetRefused, parse_target, resolve

TIMEOUT_SECONDS = 10.0
USER_AGENT = "DoraHub-Hookshot/1.0"
RETRYABLE_STATUSES = frozenset({408, 429})
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    retryable: bool
    status_code: int | None
    duration_ms: int
    error: str = ""
    retry_after: int | None = None  # seconds, from a 429/503 Retry-After header


@dataclass(frozen=True)
class Source:
    """Whose event it is: the receiver must not have to trust the sender-chosen name."""

    project_id: int
    project_slug: str
    connection_id: int | None
    connection_name: str | None


def body_for(*, name: str, occurred_at: str, source: Source, data: dict[str, Any]) -> bytes:
    payload = {
        "event": name,
        "occurred_at": occurred_at,
        "project": {"id": source.project_id, "slug": source.project_slug},
        "connection": (
            {"id": source.connection_id, "name": source.connection_name}
            if source.connection_id is not None
            else None
        ),
        "data": data,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def sign(*, secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256_hex(secret=secret, body=body)


def headers_for(
    *, event_name: str, delivery_uuid: str, source: Source, signature: str
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-DoraHub-Event": event_name,
        "X-DoraHub-Delivery": delivery_uuid,
        "X-DoraHub-Project": source.project_slug,
        "X-DoraHub-Signature": signature,
    }
    if source.connection_id is not None:
        headers["X-DoraHub-Connection"] = str(source.connection_id)
    return headers


def post(*, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
    """POST once; never raises. Success is a 2xx answered within TIMEOUT_SECONDS."""
    started = time.monotonic()

    def failed(error: str, *, retryable: bool, status: int | None = None) -> AttemptResult:
        duration = int((time.monotonic() - started) * 1000)
        return AttemptResult(
            ok=False, retryable=retryable, status_code=status, duration_ms=duration, error=error
        )

    try:
        target = parse_target(url)
        addresses = resolve(target)
    except TargetRefused as exc:
        return failed(f"Target refused: {exc}", retryable=False)
    except OSError as exc:
        return failed(f"Cannot resolve host: {exc}", retryable=True)
    try:
        status, retry_after = _send(target, addresses, body, headers, started)
    except TimeoutError:
        return failed(f"Timed out after {TIMEOUT_SECONDS:g} s", retryable=True)
    except (OSError, http.client.HTTPException) as exc:
        return failed(f"Connection error: {exc!r}", retryable=True)
    duration = int((time.monotonic() - started) * 1000)
    if duration > TIMEOUT_SECONDS * 1000:
        return failed(f"Answered after {duration} ms (limit 10 s)", retryable=True, status=status)
    if 200 <= status < 300:
        return AttemptResult(ok=True, retryable=False, status_code=status, duration_ms=duration)
    return AttemptResult(
        ok=False,
        retryable=status >= 500 or status in RETRYABLE_STATUSES,
        status_code=status,
        duration_ms=duration,
        error=f"HTTP {status}",
        retry_after=retry_after,
    )


def _send(
    target: Target,
    addresses: list[tuple[int, str]],
    body: bytes,
    headers: dict[str, str],
    started: float,
) -> tuple[int, int | None]:
    connection_class = (
        http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    )
    deadline = started + TIMEOUT_SECONDS
    connection = connection_class(target.host, target.port, timeout=TIMEOUT_SECONDS)
    # Connect to the checked addresses; TLS still verifies the certificate for target.host.
    connection._create_connection = _pinned_connector(addresses, deadline)  # type: ignore[attr-defined]
    # The socket timeout bounds each read only: a target drip-feeding its headers a byte at a
    # time would hold the attempt for ever. One deadline for connect, send, headers and body:
    # when it passes, the socket is shut down under whatever call is waiting on it.
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    timer.daemon = True
    timer.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        remaining = MAX_RESPONSE_BYTES
        while remaining > 0 and response.read(min(remaining, 8192)):
            remaining -= 8192
        if expired.is_set():
            raise TimeoutError
        return response.status, _retry_after(response.getheader("Retry-After"))
    except (OSError, http.client.HTTPException):
        if expired.is_set():
            raise TimeoutError from None
        raise
    finally:
        timer.cancel()
        connection.close()


def _pinned_connector(addresses: list[tuple[int, str]], deadline: float) -> Any:
    def connect(
        address: tuple[str, int], timeout: float | None = None, source_address: Any = None
    ) -> socket.socket:
        last_error: OSError | None = None
        for _family, ip in addresses:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            try:
                sock = socket.create_connection((ip, address[1]), left, source_address)
                sock.settimeout(timeout)
                return sock
            except OSError as exc:
                last_error = exc
        raise last_error or OSError("no address to connect to")

    return connect


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return int(value.strip())
    return None
