"""Vendor-neutral SQL for the metrics: a true percentile and epoch seconds.

PostgreSQL has `percentile_cont`; SQLite has nothing of the kind, so the same interpolation is
registered on every SQLite connection as a Python aggregate. Callers write
`Percentile(EpochSeconds("b") - EpochSeconds("a"), fraction=0.5)` and never see the difference.
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models import Aggregate, FloatField, Func

SQLITE_PERCENTILE = "dorahub_percentile_cont"
SQLITE_EPOCH = "dorahub_epoch_seconds"


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, exactly as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return float(ordered[lower])
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class Percentile(Aggregate):
    """`percentile_cont(fraction)` over a numeric expression; None over no rows."""

    name = "Percentile"
    function = "percentile_cont"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any):
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must lie in [0, 1]")
        self.fraction = fraction
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
        return self._as_sql_with(template, compiler, connection, **extra_context)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = f"{SQLITE_PERCENTILE}(%(expressions)s, {self.fraction!r})"
        return self._as_sql_with(template, compiler, connection, **extra_context)

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        raise NotImplementedError(f"Percentile is not available on {connection.vendor}.")

    def _as_sql_with(self, template: str, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Aggregate.as_sql builds its FILTER clause around `self.template`, so set it there.
        clone = self.copy()
        clone.template = template
        return Aggregate.as_sql(clone, compiler, connection, **extra)


class EpochSeconds(Func):
    """A timestamp as seconds since the Unix epoch (float), so durations are plain subtraction."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision)",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, function=SQLITE_EPOCH, **extra_context)


class _SQLitePercentile:
    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: Any, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


def _sqlite_epoch_seconds(value: Any) -> float | None:
    # Django stores aware datetimes on SQLite as UTC text without an offset.
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_aggregate(SQLITE_PERCENTILE, 2, _SQLitePercentile)
    raw.create_function(SQLITE_EPOCH, 1, _sqlite_epoch_seconds, deterministic=True)


def connect() -> None:
    connection_created.connect(register_sqlite_functions, dispatch_uid="dorahub-sqlite-metrics")
    # A connection opened before the app registry was ready missed the signal.
    for alias in connections:
        conn = connections[alias]
        if conn.connection is not None:
            register_sqlite_functions(sender=None, connection=conn)
