"""What each connection kind can post: its routes, signing setup and ready-to-paste examples.

An example's body is a template: `NOW`, `EPOCH` and `EPOCH_MS` stand for the current time and
become `$(date ...)` in the shell command (so a command pasted tomorrow is still current) or the
time of sending for the admin's "send a test delivery"; `REPO_*` are the project's most recently
used repository (or a clearly named placeholder). The first example of every kind records one
production deployment, so pasting it makes the project's dashboard show one.

`model` holds the markers and shapes, `kinds` the data per kind, `shell` the rendering.
"""

from apps.integrations.catalog.kinds import CATALOG
from apps.integrations.catalog.model import (
    PLACEHOLDER_REPOSITORY,
    SECRET_VARIABLE,
    TOKEN_VARIABLE,
    KindSetup,
    RouteExample,
    Signing,
)
from apps.integrations.catalog.shell import (
    DEPLOYMENT_KINDS,
    SIGNED_KINDS,
    curl,
    example_values,
    examples_for,
    first_route,
    offered_kinds,
    setup_for,
    time_values,
)

__all__ = [
    "CATALOG",
    "DEPLOYMENT_KINDS",
    "PLACEHOLDER_REPOSITORY",
    "SECRET_VARIABLE",
    "SIGNED_KINDS",
    "TOKEN_VARIABLE",
    "KindSetup",
    "RouteExample",
    "Signing",
    "curl",
    "example_values",
    "examples_for",
    "first_route",
    "offered_kinds",
    "setup_for",
    "time_values",
]
