"""The bodies of Pulse's event CLI: one change, deployment or incident each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from dorahub_cli.client import CliError


def rfc3339(epoch: int) -> str:
    try:
        moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise CliError(f"{epoch} is not a usable Unix timestamp in seconds") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _extras(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value}


def change_event(
    sha: str, when: int, *, kind: str, source: str = "cli", repository: str = ""
) -> dict[str, Any]:
    return {
        "$type": "change",
        "source": source,
        "change_id": sha,
        "time_created": rfc3339(when),
        "event_type": kind,
        **_extras(repository=repository),
    }


def deployment_event(
    identifier: str,
    when: int,
    changes: Sequence[str],
    *,
    source: str = "cli",
    environment: str = "",
    repository: str = "",
) -> dict[str, Any]:
    return {
        "$type": "deployment",
        "source": source,
        "deploy_id": identifier,
        "time_created": rfc3339(when),
        "changes": list(changes),
        **_extras(environment=environment, repository=repository),
    }


def incident_event(
    identifier: str,
    created: int,
    resolved: int | None,
    *,
    source: str = "cli",
    deployment: str = "",
    title: str = "",
) -> dict[str, Any]:
    event = {
        "$type": "incident",
        "source": source,
        "incident_id": identifier,
        "time_created": rfc3339(created),
        **_extras(deployment=deployment, title=title),
    }
    if resolved is not None:
        event["time_resolved"] = rfc3339(resolved)
    return event
