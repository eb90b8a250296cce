"""Trend charts as plain data for static/js/charts.js: values in one unit per axis (chosen by
the formatter), point labels written by the formatter, a link per point to that bucket's rows,
and the level boundaries as threshold lines. No smoothing happens anywhere: the script draws
straight segments, and an empty bucket is a gap where the metric has no value (a median of
nothing) and a zero where zero is what happened (no deployments)."""

from collections.abc import Callable
from datetime import date
from typing import Any

from apps.dashboards.formatting import axis_unit, count, human_duration, percent
from apps.dashboards.subjects import PageScope
from apps.metrics import levels
from apps.metrics.selectors import SeriesPoint, next_bucket

DURATION_THRESHOLDS = {
    "lead_time": {
        "2023": ((levels.DAY, "elite"), (levels.WEEK, "high"), (levels.MONTH, "medium")),
        "2021": ((levels.HOUR, "elite"), (levels.WEEK, "high"), (levels.SIX_MONTHS, "medium")),
    },
    "restore": {
        "2023": ((levels.HOUR, "elite"), (levels.DAY, "high"), (levels.WEEK, "medium")),
        "2021": ((levels.HOUR, "elite"), (levels.DAY, "high"), (levels.WEEK, "medium")),
    },
}
RATE_THRESHOLDS = {"2023": (0.05, 0.10, 0.15), "2021": (0.15, 0.20, 0.30)}


def _chart(
    *,
    metric: str,
    title: str,
    kind: str,
    points: list[SeriesPoint],
    value: Callable[[SeriesPoint], float | None],
    sample: Callable[[SeriesPoint], str],
    size: Callable[[SeriesPoint], int],
    link: Callable[[SeriesPoint], str],
    of: Callable[[SeriesPoint], int] | None = None,
    unit: str,
    write: Callable[[float | None], str],
    thresholds: list[tuple[float, str]],
) -> dict[str, Any]:
    raw = [value(p) for p in points]
    if unit == "duration":
        label, unit_size = axis_unit([*raw, *[t for t, _ in thresholds if any(raw)]])
        scale = 1 / unit_size
    elif unit == "ratio":
        label, scale = "%", 100.0
    else:
        label, scale = "count", 1.0
    return {
        "metric": metric,
        "title": f"{title} ({label})",
        "kind": kind,
        "values": [None if v is None else round(v * scale, 3) for v in raw],
        "raw": raw,
        "tips": [
            "no data" if v is None else f"{write(v)} · {sample(p)}"
            for v, p in zip(raw, points, strict=True)
        ],
        "links": [link(p) for p in points],
        "points": [
            {
                "value": "" if v is None else repr(float(v)),
                "sample": size(p),
                "of": None if of is None else of(p),
                "href": link(p),
                "text": "no data" if v is None else write(v),
            }
            for v, p in zip(raw, points, strict=True)
        ],
        "thresholds": [{"value": round(t * scale, 3), "label": name} for t, name in thresholds],
    }


def trend_charts(
    points: list[SeriesPoint], *, page: PageScope, interval: str, benchmark: str
) -> dict[str, Any]:
    def end(p: SeriesPoint) -> date:
        return next_bucket(p.start, interval)

    def rows(page_name: str, **extra: str) -> Callable[[SeriesPoint], str]:
        return lambda p: page.bucket_link(page_name, p.start, end(p), **extra)

    bench = benchmark if benchmark in RATE_THRESHOLDS else "2023"
    cfr_lines = list(zip(RATE_THRESHOLDS[bench], ("elite", "high", "medium"), strict=True))
    charts = [
        _chart(
            metric="deployments",
            title="Deployments",
            kind="bar",
            points=points,
            value=lambda p: p.deployments,
            sample=lambda p: count(p.failed_attempts, "failed attempt"),
            size=lambda p: p.deployments,
            link=rows("deployments", figure="deployments"),
            unit="count",
            write=lambda v: count(None if v is None else int(v), "deployment"),
            thresholds=[],
        ),
        _chart(
            metric="lead_time",
            title="Median lead time",
            kind="line",
            points=points,
            value=lambda p: p.lead_time_median_seconds,
            sample=lambda p: count(p.changes, "change"),
            size=lambda p: p.changes,
            link=rows("changes"),
            unit="duration",
            write=human_duration,
            thresholds=list(DURATION_THRESHOLDS["lead_time"][bench]),
        ),
        _chart(
            metric="change_failure_rate",
            title="Change failure rate",
            kind="line",
            points=points,
            value=lambda p: p.change_failure_rate,
            sample=lambda p: f"{p.failed_deployments} of {count(p.deployments, 'deployment')}",
            size=lambda p: p.failed_deployments,
            of=lambda p: p.deployments,
            link=rows("deployments", figure="change_failure_rate"),
            unit="ratio",
            write=percent,
            thresholds=cfr_lines,
        ),
        _chart(
            metric="time_to_restore",
            title="Median time to restore",
            kind="line",
            points=points,
            value=lambda p: p.time_to_restore_median_seconds,
            sample=lambda p: count(p.incidents, "incident"),
            size=lambda p: p.incidents,
            link=rows("incidents", figure="time_to_restore"),
            unit="duration",
            write=human_duration,
            thresholds=list(DURATION_THRESHOLDS["restore"][bench]),
        ),
        _chart(
            metric="recovery_time",
            title="Median failed deployment recovery time",
            kind="line",
            points=points,
            value=lambda p: p.recovery_median_seconds,
            sample=lambda p: count(p.recovered_incidents, "linked incident"),
            size=lambda p: p.recovered_incidents,
            link=rows("incidents", figure="recovery_time"),
            unit="duration",
            write=human_duration,
            thresholds=list(DURATION_THRESHOLDS["restore"][bench]),
        ),
        _chart(
            metric="rework_rate",
            title="Rework rate",
            kind="line",
            points=points,
            value=lambda p: p.rework_rate,
            sample=lambda p: f"{p.rework_deployments} of {count(p.deployments, 'deployment')}",
            size=lambda p: p.rework_deployments,
            of=lambda p: p.deployments,
            link=rows("deployments", figure="rework_rate"),
            unit="ratio",
            write=percent,
            thresholds=[],
        ),
    ]
    fmt = "%Y-%m" if interval == "month" else "%Y-%m-%d"
    labels = [p.start.strftime(fmt) for p in points]
    for chart in charts:
        for label, point in zip(labels, chart["points"], strict=True):
            point["label"] = label
    return {"labels": labels, "charts": charts}
