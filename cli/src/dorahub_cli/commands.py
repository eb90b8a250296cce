"""What each `dorahub` command does, given its parsed arguments."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

from dorahub_cli import gitlog
from dorahub_cli.client import CliError
from dorahub_cli.events import change_event, deployment_event, incident_event, rfc3339
from dorahub_cli.progress import ProgressBar
from dorahub_cli.sending import Reporter


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _count(results: Iterable[dict[str, Any]], status: str) -> int:
    return sum(1 for result in results if result.get("status") == status)


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
