"""What the connection page (and a project page, for staff) shows besides the form: the
first-delivery panel, the kind's routes and signing setup, and how to load history."""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from apps.connections.models import Connection, ConnectionKind, Project
from apps.ingest.models import DeliveryStatus
from apps.ingest.selectors import DeliverySummary, delivery_summary, project_delivery_summary
from apps.integrations.catalog import (
    DEPLOYMENT_KINDS,
    TOKEN_VARIABLE,
    examples_for,
    first_route,
    setup_for,
)

BACKFILL_TAGS = "v*"


def inbox_url(*, connection_id: int) -> str:
    return reverse("admin:ingest_delivery_changelist") + f"?connection__id__exact={connection_id}"


def time_ago(moment: Any) -> str:
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"


def delivery_panel_context(*, connection: Connection) -> dict[str, Any]:
    summary = delivery_summary(connection_id=connection.pk)
    last = summary.last
    return {
        "time_ago": time_ago(last.received_at) if last else "",
        "connection": connection,
        "summary": summary,
        "last": last,
        "accepted": last is not None and last.status == DeliveryStatus.ACCEPTED,
        "rejected": last is not None and last.status == DeliveryStatus.REJECTED,
        "counts": [
            (status.label.split(" (")[0].lower(), summary.last_24h.get(status.value, 0))
            for status in (
                DeliveryStatus.ACCEPTED,
                DeliveryStatus.PENDING,
                DeliveryStatus.DUPLICATE,
                DeliveryStatus.REJECTED,
            )
        ],
        "inbox_url": inbox_url(connection_id=connection.pk),
        "state": first_delivery_state(summary),
        "first_route": first_route(connection)
        .path.format(id=connection.pk, name=connection.name)
        .split("?")[0],
    }


def _counts(summary: DeliverySummary) -> list[tuple[str, int]]:
    statuses = (
        DeliveryStatus.ACCEPTED,
        DeliveryStatus.PENDING,
        DeliveryStatus.DUPLICATE,
        DeliveryStatus.REJECTED,
    )
    return [(status.value, summary.last_24h.get(status.value, 0)) for status in statuses]


def first_delivery_state(summary: DeliverySummary) -> str:
    """Changes whenever a delivery arrives: the poller compares it to redraw or reload."""
    return f"{summary.last.pk if summary.last else 0}:{summary.total_24h}"


@dataclass(frozen=True)
class Route:
    title: str
    url: str


def setup_context(*, connection: Connection, base_url: str, token: str) -> dict[str, Any]:
    setup = setup_for(connection.kind)
    seen: set[str] = set()
    routes = []
    for route in setup.routes:
        url = base_url + route.request_path(connection)
        if url not in seen:
            seen.add(url)
            routes.append(Route(route.title, url))
    return {
        "connection": connection,
        "token": token,
        "token_variable": TOKEN_VARIABLE,
        "signing": setup.signing,
        "notes": setup.notes,
        "records_deployment": connection.kind in DEPLOYMENT_KINDS,
        "routes": routes,
        "examples": examples_for(connection=connection, base_url=base_url, token=token),
    }


def backfill_command(*, base_url: str, token: str) -> str:
    return (
        f"dorahub backfill git --tags '{BACKFILL_TAGS}' \\\n"
        f"  --url {base_url} --api-key {token or TOKEN_VARIABLE}"
    )


def changes_command(*, connection: Connection, base_url: str, token: str) -> str:
    """Reports the deployed commit with its authored time, so its lead time can be measured."""
    return (
        f'curl -sS "{base_url}/api/v1/connections/{connection.pk}/changes" -X POST \\\n'
        f'  -H "Authorization: Bearer {token or TOKEN_VARIABLE}" '
        "-H 'Content-Type: application/json' \\\n"
        '  -d "{\\"identifier\\": \\"$(git rev-parse HEAD)\\", '
        '\\"timestamp\\": $(git log -1 --format=%at)}"'
    )


LEAD_TIME_HELP: dict[str, str] = {
    ConnectionKind.DEVLAKE: "DevLake's deployment payload carries commit shas but no commit "
    "times, so lead time needs the changes: in the deploy job, report the deployed commit with "
    "its authored time (below), or its commits with `dorahub push git deployment`.",
    ConnectionKind.GENERIC: "Deployments carry commit shas but no commit times: report each "
    "deployed commit with its authored time (below) so lead time can be measured.",
    ConnectionKind.GITHUB: "Enable the 'Pushes' and 'Pull requests' events on the webhook: a push "
    "records each commit with its time and a merged pull request its first commit, which is "
    "where lead time starts.",
    ConnectionKind.PULSE: "Send a `change` event per commit before its `deployment` (the CLI's "
    "`dorahub push git deployment` does both).",
}


def history_context(*, connection: Connection, base_url: str, token: str) -> dict[str, Any]:
    kind = connection.kind
    return {
        "backfill": backfill_command(base_url=base_url, token=token),
        "tags": BACKFILL_TAGS,
        "lead_time_help": LEAD_TIME_HELP.get(kind, ""),
        "changes": changes_command(connection=connection, base_url=base_url, token=token)
        if kind in (ConnectionKind.DEVLAKE, ConnectionKind.GENERIC)
        else "",
    }


def project_panel_context(*, project: Project, base_url: str) -> dict[str, Any]:
    """The project page's panel: its connections' routes while nothing has arrived, then the
    last delivery across them (details for staff)."""
    summary = project_delivery_summary(project_id=project.pk)
    last = summary.last
    connections = list(project.connections.order_by("name"))
    return {
        "summary": summary,
        "last": last,
        "time_ago": time_ago(last.received_at) if last else "",
        "rejected": last is not None and last.status == DeliveryStatus.REJECTED,
        "counts": _counts(summary),
        "state": first_delivery_state(summary),
        "routes": [
            (
                connection,
                base_url + first_route(connection).request_path(connection),
                reverse("admin:connections_connection_change", args=[connection.pk]),
            )
            for connection in connections
        ],
        "inbox_url": reverse("admin:ingest_delivery_changelist")
        + f"?connection__project__id__exact={project.pk}",
    }
