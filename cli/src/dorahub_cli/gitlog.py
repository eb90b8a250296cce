"""What the CLI reads from a local git repository, through the `git` command."""

from __future__ import annotations

import fnmatch
import subprocess
import urllib.parse
from dataclasses import dataclass

from dorahub_cli.client import CliError


@dataclass(frozen=True)
class GitCommit:
    sha: str
    authored: int  # epoch seconds


@dataclass(frozen=True)
class GitTag:
    name: str
    commit: str
    created: int  # epoch seconds: the tagger date, or the commit date of a lightweight tag


def _git(directory: str, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", directory, *args],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise CliError("git is not installed (or not on PATH)") from None
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        detail = lines[0] if lines else f"exit status {result.returncode}"
        raise CliError(f"git {args[0]} failed in {directory}: {detail}")
    return result.stdout


def resolve_commit(directory: str, ref: str) -> str:
    """The full sha of `ref`, with a hint when a shallow CI checkout lacks it."""
    try:
        return _git(directory, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except CliError:
        shallow = _git(directory, "rev-parse", "--is-shallow-repository").strip() == "true"
        hint = " (this is a shallow clone: run `git fetch --tags --unshallow` first)"
        raise CliError(f"unknown git ref {ref!r}{hint if shallow else ''}") from None


def commits_between(directory: str, previous: str, head: str = "HEAD") -> list[GitCommit]:
    """Commits reachable from `head` but not from `previous` (`previous..head`), newest first."""
    previous_sha, head_sha = resolve_commit(directory, previous), resolve_commit(directory, head)
    output = _git(directory, "log", "--no-color", "--format=%H %at", f"{previous_sha}..{head_sha}")
    return [_commit(line) for line in output.splitlines() if line.strip()]


def commit(directory: str, ref: str) -> GitCommit:
    sha = resolve_commit(directory, ref)
    output = _git(directory, "log", "--no-color", "-1", "--format=%H %at", sha)
    return _commit(output.strip())


def _commit(line: str) -> GitCommit:
    sha, authored = line.split()
    return GitCommit(sha=sha, authored=int(authored))


def tags(directory: str, pattern: str) -> list[GitTag]:
    """Tags whose name matches the glob, oldest first by creation date."""
    fields = "%(refname)%09%(objecttype)%09%(objectname)%09%(*objecttype)%09%(*objectname)"
    output = _git(
        directory,
        "for-each-ref",
        "--sort=creatordate",
        f"--format={fields}%09%(creatordate:unix)",
        "refs/tags",
    )
    found = []
    for line in output.splitlines():
        refname, kind, sha, peeled_kind, peeled_sha, created = line.split("\t")
        name = refname[len("refs/tags/") :]
        if not fnmatch.fnmatchcase(name, pattern):
            continue
        if kind == "commit":
            found.append(GitTag(name=name, commit=sha, created=int(created)))
        elif kind == "tag" and peeled_kind == "commit":
            found.append(GitTag(name=name, commit=peeled_sha, created=int(created)))
        # Tags of trees or blobs name no release: skipped.
    return found


def origin_url(directory: str) -> str:
    """`remote.origin.url` without credentials (CI checkouts often embed a token)."""
    try:
        url = _git(directory, "config", "--get", "remote.origin.url").strip()
    except CliError:
        return ""
    return strip_credentials(url)


def strip_credentials(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("http", "https", "ssh", "git") and "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
    return url
