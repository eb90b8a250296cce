"""`dorahub`: report changes, deployments and incidents to DORA Hub from any CI job.

Flag-compatible with Codacy Pulse's event CLI (`push change|deployment|incident`,
`push git deployment`), plus `backfill git` to load a repository's history from its tags.
Standard library only, Python 3.9+.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone

from dorahub_cli import __version__
from dorahub_cli.client import CliError
from dorahub_cli.commands import (
    backfill_git,
    push_change,
    push_deployment,
    push_git_deployment,
    push_incident,
)

INGESTION_PATH = "/v1/ingestion/cli"


def _base_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{value!r} is not an http(s) URL")
    # Accept the full webhook URL too, as Pulse users may paste it.
    if value.endswith(INGESTION_PATH):
        value = value[: -len(INGESTION_PATH)]
    return value


def _epoch(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a Unix timestamp in seconds (e.g. 1602253523)"
        ) from None


def _since(value: str) -> int:
    text = value.strip()
    try:
        if len(text) == 10:  # a plain date: midnight UTC
            moment = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date (2024-01-31) or a timestamp with an offset"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no UTC offset; add one, e.g. +00:00")
    return int(moment.timestamp())


# --- arguments --------------------------------------------------------------------------------


def _connection_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    group.add_argument(
        "--url",
        "--base-url",
        dest="url",
        type=_base_url,
        default=os.environ.get("DORAHUB_URL"),
        help="DORA Hub base URL, e.g. https://dora.example.com (default: $DORAHUB_URL)",
    )
    group.add_argument(
        "--api-key",
        default=os.environ.get("DORAHUB_API_KEY"),
        help="the connection's API token (default: $DORAHUB_API_KEY)",
    )
    group.add_argument(
        "--system", default="", help="the service the data belongs to (e.g. webapp, backend)"
    )
    group.add_argument(
        "--retries",
        type=int,
        default=4,
        help="retries on connection errors, 429 and 5xx, with exponential backoff (default 4)",
    )
    group.add_argument(
        "--retry-delay",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="first backoff delay, doubled on each retry (default 1)",
    )
    group.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="per request (default 30)"
    )
    group.add_argument(
        "--dry-run", action="store_true", help="print the events as JSON lines, send nothing"
    )
    return common


def _git_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-C",
        "--directory",
        default=".",
        help="the git repository to read (default: the current directory)",
    )
    parser.add_argument(
        "--repository",
        default=None,
        help="repository URL sent with every event (default: remote.origin.url without "
        "credentials; '' to send none)",
    )
    parser.add_argument(
        "--environment", default="", help="deployment environment (default PRODUCTION)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dorahub",
        description="Report changes, deployments and incidents to DORA Hub.",
    )
    parser.add_argument("--version", action="version", version=f"dorahub {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    common = _connection_options()

    push = commands.add_parser("push", help="report one event").add_subparsers(
        title="events", metavar="EVENT"
    )

    change = push.add_parser("change", parents=[common], help="report a change (a commit)")
    change.add_argument("--identifier", required=True, help="the commit sha")
    change.add_argument(
        "--timestamp",
        type=_epoch,
        default=None,
        help="when it was first pushed, Unix seconds (default: now)",
    )
    change.add_argument(
        "--event-type",
        "--event_type",
        dest="event_type",
        choices=("push", "commit"),
        default="push",
        help="what the timestamp is: the push (default) or the commit's authored time",
    )
    change.add_argument("--repository", default="", help="repository URL (optional)")
    change.add_argument("--source", default="cli", help=argparse.SUPPRESS)
    change.set_defaults(run=push_change)

    deployment = push.add_parser(
        "deployment", parents=[common], help="report a deployment and the commits it contains"
    )
    deployment.add_argument("--identifier", required=True, help="version or other unique id")
    deployment.add_argument(
        "--timestamp",
        type=_epoch,
        default=None,
        help="when it finished, Unix seconds (default: now)",
    )
    deployment.add_argument("changes", nargs="+", metavar="COMMIT", help="commit identifiers")
    deployment.add_argument(
        "--environment", default="", help="deployment environment (default PRODUCTION)"
    )
    deployment.add_argument("--repository", default="", help="repository URL (optional)")
    deployment.add_argument("--source", default="cli", help=argparse.SUPPRESS)
    deployment.set_defaults(run=push_deployment)

    incident = push.add_parser("incident", parents=[common], help="report an incident")
    incident.add_argument("--identifier", required=True, help="a unique incident id")
    incident.add_argument(
        "--timestampCreated", type=_epoch, required=True, help="when it started, Unix seconds"
    )
    incident.add_argument(
        "--timestampResolved",
        type=_epoch,
        default=None,
        help="when it was resolved, Unix seconds (omit while it is open; send again to resolve)",
    )
    incident.add_argument("--deployment", default="", help="the deployment that caused it")
    incident.add_argument("--title", default="", help="a short description")
    incident.add_argument("--source", default="cli", help=argparse.SUPPRESS)
    incident.set_defaults(run=push_incident)

    git = push.add_parser("git", help="report events read from git").add_subparsers(
        title="events", metavar="EVENT"
    )
    git_deployment = git.add_parser(
        "deployment",
        parents=[common],
        help="report every commit since the previous deployment's ref, then the deployment",
    )
    git_deployment.add_argument(
        "--previous-deployment-ref",
        required=True,
        help="tag or commit of the previous deployment",
    )
    git_deployment.add_argument("--identifier", required=True, help="version or unique id")
    git_deployment.add_argument(
        "--timestamp",
        type=_epoch,
        default=None,
        help="when it finished, Unix seconds (default: now)",
    )
    git_deployment.add_argument("--source", default="git", help=argparse.SUPPRESS)
    _git_options(git_deployment)
    git_deployment.set_defaults(run=push_git_deployment)

    backfill = commands.add_parser("backfill", help="load history").add_subparsers(
        title="sources", metavar="SOURCE"
    )
    backfill_tags = backfill.add_parser(
        "git",
        parents=[common],
        help="report each matching tag as a deployment of the commits since the previous one",
    )
    backfill_tags.add_argument(
        "--tags", required=True, metavar="GLOB", help="tag name pattern, e.g. 'v*'"
    )
    backfill_tags.add_argument(
        "--since",
        type=_since,
        default=None,
        metavar="DATE",
        help="skip tags created before this date (2024-01-31 or an ISO 8601 timestamp)",
    )
    _git_options(backfill_tags)
    backfill_tags.set_defaults(run=backfill_git)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    if getattr(args, "timestamp", 0) is None:
        args.timestamp = int(time.time())
    try:
        return run(args)
    except CliError as error:
        print(f"dorahub: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dorahub: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
