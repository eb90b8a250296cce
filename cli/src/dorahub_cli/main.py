"""`dorahub`: report changes, deployments and incidents to DORA Hub from any CI job.

Flag-compatible with Codacy Pulse's event CLI (`push change|deployment|incident`,
`push git deployment`), plus `backfill git` to load a repository's history from its tags.
Standard library only, Python 3.9+.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from dorahub_cli import __version__, gitlog
from dorahub_cli.client import Client, CliError
from dorahub_cli.progress import ProgressBar

# Changes per request: keeps each request quick on the server while cutting round trips.
CHANGE_BATCH = 100
INGESTION_PATH = "/v1/ingestion/cli"


# --- events: the bodies of Pulse's event CLI --------------------------------------------------


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


# --- sending ----------------------------------------------------------------------------------


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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _count(results: Iterable[dict[str, Any]], status: str) -> int:
    return sum(1 for result in results if result.get("status") == status)


# --- commands ---------------------------------------------------------------------------------


def push_change(args: argparse.Namespace) -> int:
    event = change_event(
        args.identifier,
        args.timestamp,
        kind=args.event_type,
        source=args.source,
        repository=args.repository or "",
    )
    answer = Reporter(args).send(event)
    if answer is not None:
        print(f"change {args.identifier}: {answer.get('status')} (start {answer.get('start_at')})")
    return 0


def push_deployment(args: argparse.Namespace) -> int:
    event = deployment_event(
        args.identifier,
        args.timestamp,
        args.changes,
        source=args.source,
        environment=args.environment,
        repository=args.repository or "",
    )
    answer = Reporter(args).send(event)
    if answer is not None:
        _print_deployment(args.identifier, answer)
    return 0


def push_incident(args: argparse.Namespace) -> int:
    event = incident_event(
        args.identifier,
        args.timestampCreated,
        args.timestampResolved,
        source=args.source,
        deployment=args.deployment,
        title=args.title,
    )
    answer = Reporter(args).send(event)
    if answer is not None:
        resolved = answer.get("resolved_at")
        state = f"resolved at {resolved}" if resolved else "open"
        print(f"incident {args.identifier}: {answer.get('status')} ({state})")
    return 0


def push_git_deployment(args: argparse.Namespace) -> int:
    reporter = Reporter(args)
    directory = args.directory
    commits = gitlog.commits_between(directory, args.previous_deployment_ref)
    if not commits:
        # A redeploy still counts as a deployment; its head commit's lead time is unaffected
        # (a change counts at its first deployment only).
        commits = [gitlog.commit(directory, "HEAD")]
        print(
            f"No commits since {args.previous_deployment_ref}; reporting the deployment "
            f"of HEAD {commits[0].sha[:12]}.",
            file=sys.stderr,
        )
    repository = _repository(args)
    changes = reporter.send_changes(
        [
            change_event(
                c.sha, c.authored, kind="commit", source=args.source, repository=repository
            )
            for c in commits
        ]
    )
    answer = reporter.send(
        deployment_event(
            args.identifier,
            args.timestamp,
            [c.sha for c in commits],
            source=args.source,
            environment=args.environment,
            repository=repository,
        )
    )
    if answer is not None:
        print(
            f"{_plural(len(commits), 'change')} since {args.previous_deployment_ref}: "
            f"{_count(changes, 'recorded')} recorded, {_count(changes, 'unchanged')} unchanged"
        )
        _print_deployment(args.identifier, answer)
    return 0


def backfill_git(args: argparse.Namespace) -> int:
    reporter = Reporter(args)
    directory = args.directory
    found = gitlog.tags(directory, args.tags)
    if not found:
        raise CliError(f"no tag in {directory} matches {args.tags!r}")
    repository = _repository(args)
    bar = ProgressBar(len(found), label="backfill")
    bar.start()
    previous: gitlog.GitTag | None = None
    outcome = {"created": 0, "updated": 0, "unchanged": 0}
    changes_sent: list[dict[str, Any]] = []
    reported = no_new_commits = before_since = 0
    for tag in found:
        bar.advance(tag.name)
        if args.since is not None and tag.created < args.since:
            before_since += 1
            previous = tag  # still the boundary of the first tag reported
            continue
        if previous is None:
            # Nothing before the first tag bounds its history: only the tagged commit counts.
            commits = [gitlog.commit(directory, tag.commit)]
        else:
            commits = gitlog.commits_between(directory, previous.commit, tag.commit)
        previous = tag
        if not commits:
            no_new_commits += 1
            continue
        changes_sent += reporter.send_changes(
            [
                change_event(c.sha, c.authored, kind="commit", source="git", repository=repository)
                for c in commits
            ]
        )
        answer = reporter.send(
            deployment_event(
                tag.name,
                tag.created,
                [c.sha for c in commits],
                source="git",
                environment=args.environment,
                repository=repository,
            )
        )
        reported += 1
        if answer is not None:
            status = answer.get("status", "")
            outcome[status] = outcome.get(status, 0) + 1
    bar.close()
    skipped = []
    if no_new_commits:
        skipped.append(f"{no_new_commits} without new commits")
    if before_since:
        skipped.append(f"{before_since} before {rfc3339(args.since)}")
    print(
        f"Backfilled {_plural(reported, 'deployment')} from {_plural(len(found), 'tag')} "
        f"matching {args.tags!r}" + (f" (skipped {', '.join(skipped)})" if skipped else "") + "."
    )
    if not args.dry_run:
        print(
            f"Deployments: {outcome['created']} created, {outcome['updated']} updated, "
            f"{outcome['unchanged']} unchanged. Changes: {_count(changes_sent, 'recorded')} "
            f"recorded, {_count(changes_sent, 'unchanged')} unchanged."
        )
    return 0


def _repository(args: argparse.Namespace) -> str:
    if args.repository is not None:
        return args.repository
    return gitlog.origin_url(args.directory)


def _print_deployment(identifier: str, answer: dict[str, Any]) -> None:
    changes = _plural(answer.get("commit_count") or 0, "change")
    print(f"deployment {identifier}: {answer.get('status')} ({changes})")


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
