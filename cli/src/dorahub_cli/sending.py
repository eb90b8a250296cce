"""Sending events to DORA Hub, or with --dry-run printing them."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from dorahub_cli.client import Client, CliError

# Changes per request: keeps each request quick on the server while cutting round trips.
CHANGE_BATCH = 100


class Reporter:
    """Sends events, or with --dry-run prints them as JSON lines and sends nothing."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.dry_run = args.dry_run
        self.client: Client | None = None
        if not self.dry_run:
            self.client = Client(
                url=_required(args.url, "no DORA Hub URL: pass --url or set DORAHUB_URL"),
                api_key=_required(
                    args.api_key, "no API key: pass --api-key or set DORAHUB_API_KEY"
                ),
                system=args.system or "",
                retries=args.retries,
                retry_delay=args.retry_delay,
                timeout=args.timeout,
            )

    def send(self, body: Any) -> Any:
        if self.client is None:
            for event in body if isinstance(body, list) else [body]:
                print(json.dumps(event, sort_keys=True))
            return None
        return self.client.send(body)

    def send_changes(self, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for start in range(0, len(events), CHANGE_BATCH):
            answer = self.send(list(events[start : start + CHANGE_BATCH]))
            if answer is not None:
                results.extend(answer.get("results", []))
        return results


def _required(value: str | None, message: str) -> str:
    if not value or not value.strip():
        raise CliError(message)
    return value.strip()
