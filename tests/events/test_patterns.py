"""Trigger patterns `{origin}:{repo}:{event}`: which event names each one fires on."""

import pytest

from apps.events.patterns import InvalidPattern, matches_any, parse

MATCHES = [
    # pattern, event name, fires?
    ("github:acme/api:pull_request.merged", "github:acme/api:pull_request.merged", True),
    ("github:acme/*:pull_request.merged", "github:acme/api:pull_request.merged", True),
    ("github:acme/*:pull_request.merged", "github:acme/web:pull_request.merged", True),
    ("github:acme/*:pull_request.merged", "github:other/api:pull_request.merged", False),
    ("github:acme/*:pull_request.merged", "github:acme/api:pull_request.opened", False),
    ("github:acme/*:pull_request.merged", "cirrus:acme/api:pull_request.merged", False),
    ("*:*:build.needs_approval", "cirrus:acme/api:build.needs_approval", True),
    ("*:*:build.needs_approval", "github:acme/api:build.needs_approval", True),
    ("*:*:build.needs_approval", "cirrus:acme/api:build.failed", False),
    ("*:acme/api:*", "devlake:acme/api:deployment.succeeded", True),
    ("*:*:deployment.*", "devlake:shop:deployment.failed", True),
    ("*:*:deployment.*", "devlake:shop:incident.opened", False),
    # `*` crosses `/`: GitLab subgroups are repositories under acme too.
    ("gitlab:acme/*:push", "gitlab:acme/platform/api:push", True),
    # Repository paths may contain `:`; the name splits on its first and last `:`.
    ("*:git.example.com:8443/acme/api:push", "github:git.example.com:8443/acme/api:push", True),
    # Git hosts ignore case in repository names.
    ("github:Acme/API:push", "github:acme/api:push", True),
    ("github:acme/api:push", "github:Acme/API:push", True),
    ("github:acme/ap?:push", "github:acme/api:push", True),
    ("github:acme/ap?:push", "github:acme/apis:push", False),
    # A project slug stands in for the repository when none is known.
    ("pulse:payments:incident.opened", "pulse:payments:incident.opened", True),
]


@pytest.mark.parametrize(("pattern", "name", "fires"), MATCHES)
def test_pattern_matching_table(pattern, name, fires):
    assert parse(pattern).matches(name) is fires


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("github:acme/api", "form"),
        ("pull_request.merged", "form"),
        ("github::push", "repo segment is empty"),
        ("gihtub:acme/api:push", "unknown origin 'gihtub'"),
        ("github:acme/api:pull_request.merge", "unknown event 'pull_request.merge'"),
        ("github:acme/api:deploy.*", "matches no known event"),
        ("github:acme/[ab]pi:push", "only '*' and '?' are wildcards"),
    ],
)
def test_a_pattern_that_could_never_fire_is_refused_with_the_reason(pattern, reason):
    with pytest.raises(InvalidPattern, match=reason.replace("*", r"\*").replace("?", r"\?")):
        parse(pattern)


def test_a_non_string_pattern_is_refused():
    with pytest.raises(InvalidPattern, match="must be a string"):
        parse(["github:acme/api:push"])


def test_a_trigger_fires_when_any_of_its_patterns_matches():
    patterns = ["github:acme/*:pull_request.merged", "*:*:build.failed"]

    assert matches_any(patterns, "cirrus:acme/api:build.failed")
    assert matches_any(patterns, "github:acme/web:pull_request.merged")
    assert not matches_any(patterns, "cirrus:acme/api:build.succeeded")
