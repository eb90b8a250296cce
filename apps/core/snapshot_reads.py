"""Reads that see the database as of one moment.

A report reads marks, snapshots, stored lead times and rows in a dozen queries; under
PostgreSQL's default READ COMMITTED each query sees the latest commits, so a rebuild committing
between two of them (marks deleted, snapshots rewritten) could leave a page half before and
half after it. Inside `one_snapshot()` every query of the block reads one snapshot: REPEATABLE
READ on PostgreSQL; on SQLite a transaction's reads already see one state of the file."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import connection, transaction

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def one_snapshot() -> Iterator[None]:
    if connection.in_atomic_block:
        # Inside the caller's transaction the isolation is the caller's (and tests' own).
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def reads_one_snapshot(function: Callable[P, R]) -> Callable[P, R]:
    """`function` runs inside `one_snapshot()`."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_snapshot():
            return function(*args, **kwargs)

    return wrapper
