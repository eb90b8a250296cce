"""Trigger patterns: `{origin}:{repo}:{event}` where any segment may use `*` and `?` wildcards.

A repository path contains `/` (and may contain `:`), so a name is split on its first and last
`:`; within a segment `*` matches any run of characters, `/` included, so `acme/*` matches every
repository under `acme`, and `?` matches one character. Matching ignores case: git hosts treat
`Acme/API` and `acme/api` alike.
"""

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache

from apps.connections.models import ConnectionKind
from apps.events import vocabulary

WILDCARDS = frozenset("*?")


class InvalidPattern(ValueError):
    pass


@dataclass(frozen=True)
class Pattern:
    origin: str
    repo: str
    event: str

    def __str__(self) -> str:
        return f"{self.origin}:{self.repo}:{self.event}"

    def matches(self, name: str) -> bool:
        try:
            origin, repo, event = split(name)
        except InvalidPattern:
            return False
        return (
            fnmatchcase(origin.lower(), self.origin)
            and fnmatchcase(repo.lower(), self.repo)
            and fnmatchcase(event.lower(), self.event)
        )


def split(text: str) -> tuple[str, str, str]:
    first, last = text.find(":"), text.rfind(":")
    if first == -1 or first == last:
        raise InvalidPattern(f"{text!r} is not in the form '{{origin}}:{{repo}}:{{event}}'.")
    return text[:first], text[first + 1 : last], text[last + 1 :]


def _has_wildcard(segment: str) -> bool:
    return any(char in WILDCARDS for char in segment)


def parse(text: object) -> Pattern:
    """Parse and check one pattern; a literal origin or event must exist, so typos fail loudly
    instead of never matching."""
    if not isinstance(text, str):
        raise InvalidPattern(f"A pattern must be a string, not {type(text).__name__}.")
    return _parse(text)


@lru_cache(maxsize=1024)
def _parse(text: str) -> Pattern:
    origin, repo, event = (segment.strip().lower() for segment in split(text.strip()))
    for label, segment in (("origin", origin), ("repo", repo), ("event", event)):
        if not segment:
            raise InvalidPattern(f"{text!r}: the {label} segment is empty (use '*' for any).")
        if "[" in segment or "]" in segment:
            raise InvalidPattern(f"{text!r}: only '*' and '?' are wildcards; remove '[' and ']'.")
    if not _has_wildcard(origin) and origin not in ConnectionKind.values:
        raise InvalidPattern(
            f"{text!r}: unknown origin {origin!r}; use one of "
            f"{', '.join(ConnectionKind.values)} or '*'."
        )
    if _has_wildcard(event):
        if not any(fnmatchcase(name, event) for name in vocabulary.NAMES):
            raise InvalidPattern(f"{text!r}: the event pattern {event!r} matches no known event.")
    elif not vocabulary.is_known(event):
        raise InvalidPattern(
            f"{text!r}: unknown event {event!r}; see the event vocabulary in docs/triggers.md."
        )
    return Pattern(origin=origin, repo=repo, event=event)


def parse_all(texts: object) -> list[Pattern]:
    """Parse a list of patterns, naming the position of the first bad one."""
    if not isinstance(texts, list) or not texts:
        raise InvalidPattern("Give a non-empty list of event patterns.")
    patterns = []
    for index, text in enumerate(texts):
        try:
            patterns.append(parse(text))
        except InvalidPattern as exc:
            raise InvalidPattern(f"[{index}] {exc}") from None
    return patterns


def matches_any(patterns: list[str], name: str) -> bool:
    for text in patterns:
        try:
            if parse(text).matches(name):
                return True
        except InvalidPattern:
            continue  # stored before a vocabulary change: it simply matches nothing
    return False


def segment_regex(segment: str) -> str:
    """A wildcard segment as an anchored regular expression both SQLite and PostgreSQL run."""
    out = []
    for char in segment:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char) if not char.isalnum() else char)
    return "^" + "".join(out) + "$"
