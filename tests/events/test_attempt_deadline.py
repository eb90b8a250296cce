"""Issue 16 finding 8: one trigger attempt has one deadline for connect, send, headers and body
together. The socket timeout alone bounds each read, so a target drip-feeding its answer a byte
at a time held an attempt (and, in eager mode, the CI sender's request) for as long as it liked."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from apps.events import outgoing


def drip_server(head: bytes, drip: bytes) -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                continue
            try:
                client.recv(65536)
                client.sendall(head)
                for byte in drip:  # one byte every 0.2 s, far longer than the deadline
                    if stop.is_set():
                        break
                    client.sendall(bytes([byte]))
                    time.sleep(0.2)
            except OSError:
                pass
            finally:
                client.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.fixture
def dripping_headers() -> Iterator[str]:
    yield from drip_server(b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 200 + b"\r\n\r\n")


@pytest.fixture
def dripping_body() -> Iterator[str]:
    yield from drip_server(b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n", b"x" * 300)


@pytest.mark.parametrize("server", ["dripping_headers", "dripping_body"])
def test_a_drip_feeding_target_is_cut_off_at_the_deadline(request, server, monkeypatch):
    url = request.getfixturevalue(server)
    monkeypatch.setattr(outgoing, "TIMEOUT_SECONDS", 1.0)

    started = time.monotonic()
    result = outgoing.post(url=url, body=b"{}", headers={"Content-Type": "application/json"})
    elapsed = time.monotonic() - started

    assert elapsed < 1.8, elapsed  # each byte came well within any per-read timeout
    assert not result.ok
    assert result.retryable
    assert "Timed out" in result.error
