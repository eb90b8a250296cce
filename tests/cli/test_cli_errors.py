"""What a CI job sees when reporting fails: retries where a retry can help, then a non-zero
exit with one line saying why, the server's own message included."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dorahub_cli.main import main

from apps.deployments.models import Commit
from apps.issues.models import Issue


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FlakyServer:
    """A stand-in server that fails with the given statuses before answering 200."""

    def __init__(self, failures: list[int]):
        self.failures = list(failures)
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(dict(self.headers))
                status = outer.failures.pop(0) if outer.failures else 200
                body = {"status": "recorded", "start_at": "2024-01-01T00:00:00+00:00"}
                if status != 200:
                    body = {"error": {"code": "busy", "message": "try later"}}
                payload = json.dumps(body).encode()
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky():
    servers: list[FlakyServer] = []

    def start(failures: list[int]) -> FlakyServer:
        servers.append(FlakyServer(failures))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


CHANGE = ["push", "change", "--identifier", "a" * 40, "--timestamp", "1704103200"]


def test_an_unreachable_server_is_retried_then_reported_in_one_line(capsys):
    url = f"http://127.0.0.1:{closed_port()}"

    code, out, err = run(
        capsys, *CHANGE, "--url", url, "--api-key", "k", "--retries", "2", "--retry-delay", "0"
    )

    assert code == 1
    assert out == ""
    assert err.startswith(f"dorahub: error: cannot reach {url}: ")
    assert err.endswith("(gave up after 3 attempts)\n")
    assert err.count("\n") == 1


@pytest.mark.parametrize("failures", [[503, 500], [429, 502]])
def test_server_errors_and_throttling_are_retried_with_the_same_idempotency_key(
    capsys, flaky, failures
):
    server = flaky(failures)

    code, out, err = run(
        capsys, *CHANGE, "--url", server.url, "--api-key", "k", "--retry-delay", "0"
    )  # fmt: skip

    assert code == 0, err
    assert out.startswith("change aaaa")
    assert len(server.requests) == 3
    assert len({r["Idempotency-Key"] for r in server.requests}) == 1
    assert server.requests[0]["Authorization"] == "Bearer k"


def test_server_errors_past_the_retries_exit_non_zero_with_the_last_reason(capsys, flaky):
    server = flaky([503, 503])

    code, _, err = run(
        capsys, *CHANGE, "--url", server.url, "--api-key", "k", "--retries", "1",
        "--retry-delay", "0",
    )  # fmt: skip

    assert code == 1
    assert err == "dorahub: error: 503 Service Unavailable: try later (gave up after 2 attempts)\n"


def test_a_wrong_key_is_401_shown_in_one_line_and_not_retried(capsys, hub):
    code, _, err = run(capsys, *CHANGE, "--url", hub.url, "--api-key", "dh_" + "x" * 43)

    assert code == 1
    assert (
        err == "dorahub: error: the server refused the request: 401 Unauthorized: "
        "Unknown API token.\n"
    )
    assert not Commit.objects.exists()


def test_a_rejected_event_shows_the_servers_message(capsys, hub):
    code, _, err = run(
        capsys,
        *hub.args("push", "incident", "--identifier", "INC-1", "--timestampCreated", "1704103200",
                  "--timestampResolved", "1704100000"),
    )  # fmt: skip

    assert code == 1
    assert err == (
        "dorahub: error: the server refused the request: 400 Bad Request: "
        "Invalid input: time_resolved: Must not be before time_created.\n"
    )
    assert not Issue.objects.exists()


def test_an_unknown_previous_deployment_ref_is_reported(capsys, hub, repo):
    repo.commit("only", "2024-01-01T00:00:00")

    code, _, err = run(
        capsys,
        *hub.args("push", "git", "deployment", "--previous-deployment-ref", "v9",
                  "--identifier", "v10", "-C", str(repo.path)),
    )  # fmt: skip

    assert code == 1
    assert err == "dorahub: error: unknown git ref 'v9'\n"


def test_backfill_with_no_matching_tag_says_so(capsys, hub, repo):
    repo.commit("only", "2024-01-01T00:00:00")
    repo.tag("nightly-1", "2024-01-01T01:00:00")

    code, _, err = run(capsys, *hub.args("backfill", "git", "--tags", "v*", "-C", str(repo.path)))

    assert code == 1
    assert err == f"dorahub: error: no tag in {repo.path} matches 'v*'\n"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DORAHUB_API_KEY": "k"}, "no DORA Hub URL: pass --url or set DORAHUB_URL"),
        (
            {"DORAHUB_URL": "http://127.0.0.1:9"},
            "no API key: pass --api-key or set DORAHUB_API_KEY",
        ),
    ],
)
def test_a_missing_url_or_key_is_named(capsys, monkeypatch, env, message):
    monkeypatch.delenv("DORAHUB_URL", raising=False)
    monkeypatch.delenv("DORAHUB_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    code, _, err = run(capsys, *CHANGE)

    assert code == 1
    assert err == f"dorahub: error: {message}\n"


def test_url_and_key_come_from_the_environment(capsys, monkeypatch, hub):
    monkeypatch.setenv("DORAHUB_URL", hub.url + "/v1/ingestion/cli")  # the pasted webhook URL
    monkeypatch.setenv("DORAHUB_API_KEY", hub.key)

    code, _, err = run(capsys, *CHANGE)

    assert code == 0, err
    assert Commit.objects.filter(sha="a" * 40).exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["push", "change", "--timestamp", "1"],  # no --identifier
        ["push", "change", "--identifier", "x", "--timestamp", "yesterday"],
        ["push", "deployment", "--identifier", "v1"],  # no commit
        ["push", "incident", "--identifier", "I-1"],  # no --timestampCreated
        ["backfill", "git", "--tags", "v*", "--since", "last year"],
        ["push", "change", "--identifier", "x", "--url", "ftp://example.com"],
    ],
)
def test_usage_errors_exit_2_before_sending_anything(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)

    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err
