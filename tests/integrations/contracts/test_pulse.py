"""Codacy Pulse's event CLI (codacy/pulse-event-cli), byte for byte as the Go binary sends it
(CONTRACTS.md §1): `POST /v1/ingestion/cli?api_key=<key>[&system=<system>]`, no Authorization
header, `Environment` and `CLI-Version` headers, compact JSON in the structs' field order,
times RFC 3339 in the runner's local zone, and `"changes": null` from `push git deployment`
when the range is empty (a redeploy of the same HEAD)."""

import pytest

from apps.ingest.models import Delivery
from tests.conftest import Sender
from tests.factories import ConnectionFactory, token_for
from tests.integrations.contracts.helpers import deployments, metrics

pytestmark = pytest.mark.django_db

SHA = "5d8f3c2a1e9b7d6c5a4f3e2d1c0b9a8f7e6d5c4b"
# What Go's http.Client adds, and what the CLI sets (pkg/ingestion/api.go).
GO_HEADERS = {
    "HTTP_ENVIRONMENT": "github-actions",
    "HTTP_CLI_VERSION": "0.2.3",
    "HTTP_USER_AGENT": "Go-http-client/1.1",
    "HTTP_ACCEPT_ENCODING": "gzip",
}


@pytest.fixture
def pulse() -> Sender:
    connection = ConnectionFactory(kind="pulse")
    return Sender(connection=connection, token=token_for(connection))


def push(api, pulse: Sender, body: bytes, system: str = "checkout"):
    # url.Values.Encode() sorts the keys: api_key first.
    query = f"api_key={pulse.token}" + (f"&system={system}" if system else "")
    return api.generic(
        "POST",
        f"/v1/ingestion/cli?{query}",
        data=body,
        content_type="application/json",
        **GO_HEADERS,
    )


def git_commit(sha: str, at: str) -> bytes:
    # Go's encoding/json: compact, fields in the struct's order.
    return (
        f'{{"source":"git","change_id":"{sha}","time_created":"{at}","event_type":"commit",'
        '"$type":"change"}'
    ).encode()


def git_deployment(deploy_id: str, at: str, changes: str) -> bytes:
    return (
        f'{{"source":"git","deploy_id":"{deploy_id}","time_created":"{at}","changes":{changes},'
        '"teams":[],"$type":"deployment"}'
    ).encode()


def test_a_git_deployment_then_a_redeploy_of_the_same_head_are_two_deployments(api, pulse):
    # `push git deployment`: one change per commit (author time, local zone), then the
    # deployment; the redeploy finds no new commits and sends "changes": null.
    assert push(api, pulse, git_commit(SHA, "2024-03-05T10:00:00+01:00")).status_code == 200
    first = push(api, pulse, git_deployment("v1", "2024-03-05T11:00:00Z", f'["{SHA}"]'))
    redeploy = push(api, pulse, git_deployment("v1-redeploy", "2024-03-06T11:00:00Z", "null"))

    assert first.status_code == 201
    assert redeploy.status_code == 201, redeploy.content  # the CLI exits 0 on any 2xx
    assert redeploy.json()["commit_count"] == 0
    listed = {d["external_id"]: d for d in deployments(pulse.token)}
    assert listed["v1-redeploy"]["commit_count"] == 0
    assert listed["v1-redeploy"]["service"] == "checkout"
    figures = metrics(pulse.token)
    assert figures["deployment_frequency"]["deployments"] == 2
    # The change shipped once, with the first deployment: 11:00Z - 09:00Z.
    assert figures["lead_time"]["changes"] == 1
    assert figures["lead_time"]["median_seconds"] == 2 * 3600


def test_an_empty_changes_list_is_a_deployment_with_no_new_changes(api, pulse):
    response = push(api, pulse, git_deployment("v2", "2024-03-07T11:00:00+00:00", "[]"))

    assert response.status_code == 201
    assert [d["external_id"] for d in deployments(pulse.token)] == ["v2"]
    assert metrics(pulse.token)["deployment_frequency"]["deployments"] == 1


def test_the_key_only_in_the_query_string_and_the_cli_headers_are_enough(api, pulse):
    response = push(api, pulse, git_commit(SHA, "2024-03-05T10:00:00+01:00"), system="")

    assert response.status_code == 200
    delivery = Delivery.objects.get()
    assert delivery.connection == pulse.connection
    assert delivery.headers["Environment"] == "github-actions"
    assert delivery.headers["Cli-Version"] == "0.2.3"
