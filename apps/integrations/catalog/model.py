"""The vocabulary of the catalog: the markers an example body carries, and the shapes of
a route example, a signing setup and a kind's setup."""

import json
from dataclasses import dataclass
from typing import Any

from apps.connections.models import Connection

TOKEN_VARIABLE = "$DORAHUB_TOKEN"
SECRET_VARIABLE = "$DORAHUB_SECRET"
PLACEHOLDER_REPOSITORY = "https://github.com/your-org/your-repo"
EXAMPLE_SHA = "015e3d3b480e417aede5a1293bd61de9b0fd051d"

NOW, EPOCH, EPOCH_MS, EPOCH_NS = "@@NOW@@", "@@EPOCH@@", "@@EPOCH_MS@@", "@@EPOCH_NS@@"
JIRA_NOW = "@@JIRA_NOW@@"  # Jira's own format, 2024-05-02T10:30:00.000+0000
REPO_URL, REPO_OWNER, REPO_NAME, CONNECTION_ID = "@@REPO_URL@@", "@@OWNER@@", "@@NAME@@", "@@ID@@"
_SHELL_TIME = {
    NOW: "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    EPOCH: "$(date +%s)",
    EPOCH_MS: "$(date +%s)000",
    EPOCH_NS: "$(date +%s)000000000",
    JIRA_NOW: "$(date -u +%Y-%m-%dT%H:%M:%S.000+0000)",
}
_NUMBERS = (EPOCH, EPOCH_MS, EPOCH_NS, CONNECTION_ID)  # markers that stand for JSON numbers


_HEX_SIG = (
    'SIG=$(printf %s "$BODY" | openssl dgst -sha256 -hmac "$DORAHUB_SECRET" | sed \'s/^.* //\')',
)
# Standard Webhooks (incident.io): base64 HMAC of "id.timestamp.body", keyed with the base64
# part of the whsec_ secret.
SVIX_SIGNATURE_LINES = (
    "ID=msg_$(date +%s%N) TS=$(date +%s)",
    "KEY=$(printf %s \"${DORAHUB_SECRET#whsec_}\" | base64 -d | od -An -tx1 | tr -d ' \\n')",
    'SIG=$(printf %s "$ID.$TS.$BODY" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY '
    "-binary | base64)",
)


@dataclass(frozen=True)
class Signing:
    describe: str  # what the sender sends
    setup: str  # where the sender's secret is set
    lines: tuple[str, ...] = _HEX_SIG  # shell lines computing $SIG from $BODY, $DORAHUB_SECRET
    headers: tuple[str, ...] = ()  # headers carrying $SIG


@dataclass(frozen=True)
class RouteExample:
    title: str
    path: str  # with {id}, {name}; the query may name the token
    body: dict[str, Any] | None
    auth: str = "bearer"  # bearer | query | signed
    extra_headers: tuple[tuple[str, str], ...] = ()

    def request_path(self, connection: Connection) -> str:
        return self.path.format(id=connection.pk, name=connection.name).split("?")[0]

    def body_text(self, values: dict[str, str], *, for_shell: bool) -> str:
        """The JSON body with the markers filled in (for the shell: `$(date ...)`, escaped
        for a heredoc)."""
        text = json.dumps(self.body, indent=2)
        if for_shell:
            text = text.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
            values = {**values, **_SHELL_TIME}
        for marker, value in values.items():
            if marker in _NUMBERS:
                text = text.replace(f'"{marker}"', value)
            text = text.replace(marker, value)
        return text


@dataclass(frozen=True)
class KindSetup:
    routes: tuple[RouteExample, ...]
    signing: Signing | None = None
    notes: str = ""
