"""The catalog rendered for one connection: the kinds offered, the values filled into the
examples, and each example as a shell command."""

from datetime import datetime

from apps.connections.models import Connection, ConnectionKind
from apps.deployments.models import Repository
from apps.integrations.catalog.kinds import CATALOG
from apps.integrations.catalog.model import (
    CONNECTION_ID,
    EPOCH,
    EPOCH_MS,
    EPOCH_NS,
    JIRA_NOW,
    NOW,
    PLACEHOLDER_REPOSITORY,
    REPO_NAME,
    REPO_OWNER,
    REPO_URL,
    TOKEN_VARIABLE,
    KindSetup,
    RouteExample,
)

SIGNED_KINDS = frozenset(kind for kind, setup in CATALOG.items() if setup.signing is not None)
# The kinds whose first example records a deployment (the others, incident tools, an incident).
DEPLOYMENT_KINDS = frozenset(
    {
        ConnectionKind.DEVLAKE,
        ConnectionKind.GENERIC,
        ConnectionKind.ALLSTACKS,
        ConnectionKind.PULSE,
        ConnectionKind.CIRRUS,
        ConnectionKind.GITHUB,
        ConnectionKind.GITLAB,
        ConnectionKind.CTOAI,
    }
)


def offered_kinds() -> list[tuple[str, str]]:
    """The kinds the admin offers: those with receivers behind them."""
    return [(value, label) for value, label in ConnectionKind.choices if value in CATALOG]


def setup_for(kind: str) -> KindSetup:
    return CATALOG.get(kind, CATALOG[ConnectionKind.GENERIC])


def example_values(*, connection: Connection) -> dict[str, str]:
    """The repository the project last used (or the placeholder) and the connection's id."""
    repository = (
        Repository.objects.filter(project_id=connection.project_id)
        .order_by("-deployments__finished_at", "-pk")
        .first()
    )
    url = repository.url if repository else PLACEHOLDER_REPOSITORY
    owner, _, name = (repository.name if repository else "your-org/your-repo").rpartition("/")
    return {
        REPO_URL: url,
        REPO_OWNER: owner or "your-org",
        REPO_NAME: name or "your-repo",
        CONNECTION_ID: str(connection.pk),
    }


def time_values(now: datetime) -> dict[str, str]:
    seconds = int(now.timestamp())
    return {
        NOW: now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        EPOCH: str(seconds),
        EPOCH_MS: str(seconds * 1000),
        EPOCH_NS: str(seconds * 1_000_000_000),
        JIRA_NOW: now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl(
    route: RouteExample,
    *,
    base_url: str,
    connection: Connection,
    values: dict[str, str],
    token: str = "",
) -> str:
    """A shell command that posts `route`'s example; `token` fills the token in (else
    `$DORAHUB_TOKEN`)."""
    setup = setup_for(connection.kind)
    shown_token = token or TOKEN_VARIABLE
    path = route.path.format(id=connection.pk, name=connection.name).replace(
        TOKEN_VARIABLE, shown_token
    )
    url = f"{base_url}{path}"
    lines = [f'curl -sS "{url}" -X POST' if "$" in url else f"curl -sS {_quote(url)} -X POST"]
    if route.auth == "bearer":
        lines.append(f'  -H "Authorization: Bearer {shown_token}"')
    for name, value in route.extra_headers:
        lines.append(f"  -H {_quote(f'{name}: {value}')}")
    if route.body is None:
        return " \\\n".join(lines)
    body = route.body_text(values, for_shell=True)
    if route.auth == "signed" and setup.signing is not None:
        signing = setup.signing
        prelude = f"BODY=$(cat <<EOF\n{body}\nEOF\n)\n" + "".join(
            f"{line}\n" for line in signing.lines
        )
        lines.extend(f'  -H "{header}"' for header in signing.headers)
        lines.append("  -H 'Content-Type: application/json' --data-binary \"$BODY\"")
        return prelude + " \\\n".join(lines)
    lines.append("  -H 'Content-Type: application/json' --data-binary @-")
    return " \\\n".join(lines) + f" <<EOF\n{body}\nEOF"


def examples_for(
    *, connection: Connection, base_url: str, token: str = ""
) -> list[tuple[str, str]]:
    """(title, shell command) for every route the connection's kind supports, first the one
    that records a deployment."""
    values = example_values(connection=connection)
    return [
        (
            route.title,
            curl(route, base_url=base_url, connection=connection, values=values, token=token),
        )
        for route in setup_for(connection.kind).routes
    ]


def first_route(connection: Connection) -> RouteExample:
    return setup_for(connection.kind).routes[0]
