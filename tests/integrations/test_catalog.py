"""The admin's ready-to-paste examples: run as they are, with bash, openssl and curl, each one
is accepted by its route."""

import json
import shutil
import subprocess

import pytest

from apps.integrations.catalog import examples_for
from tests.factories import ConnectionFactory, token_for
from tests.integrations import sources as src

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (shutil.which("openssl") and shutil.which("curl")), reason="needs openssl and curl"
    ),
]
SIGNED = {
    "cirrus": src.SECRET,
    "github": src.SECRET,
    "pagerduty": src.SECRET,
    "jira": src.SECRET,
    "incidentio": src.SVIX_SECRET,
    "gitlab": src.SECRET,
}


@pytest.mark.parametrize("kind", [*SIGNED, "opsgenie"])
def test_every_example_runs_as_pasted_and_is_accepted(live_server, kind):
    connection = ConnectionFactory(kind=kind, secret=SIGNED.get(kind))
    environment = {
        "PATH": "/usr/bin:/bin",
        "DORAHUB_TOKEN": token_for(connection),
        "DORAHUB_SECRET": SIGNED.get(kind, ""),
    }
    examples = examples_for(connection=connection, base_url=live_server.url)

    assert examples
    for title, command in examples:
        done = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, env=environment, timeout=30
        )
        answer = json.loads(done.stdout)
        assert "error" not in answer, (title, answer)
