import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.connections.models import Connection, Project
from apps.events.models import Trigger
from apps.events.services import save_trigger

SECRET = "hook-secret-for-tests"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    def signature_is_valid(self, secret: str = SECRET) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("X-DoraHub-Signature", ""))


@dataclass
class HookServer:
    """A real HTTP server on 127.0.0.1 that records every request and answers with the
    scripted statuses in order (then 200)."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def hook_server() -> Iterator[HookServer]:
    state = HookServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.received.append(
                Received(path=self.path, headers=dict(self.headers), body=self.rfile.read(length))
            )
            code = state.statuses.pop(0) if state.statuses else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/dorahub"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def make_trigger(
    url: str,
    *patterns: str,
    name: str = "notify",
    project: Project | None = None,
    connections: list[Connection] | None = None,
) -> Trigger:
    """A trigger on `project`, or on `connections`; installation-wide when given neither."""
    return save_trigger(
        name=name,
        patterns=list(patterns),
        url=url,
        secret=SECRET,
        project=project,
        connections=connections,
        all_projects=project is None and not connections,
    ).trigger
