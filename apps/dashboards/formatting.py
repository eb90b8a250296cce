"""Human units for figures shown on pages."""

from datetime import timedelta

from django import template

register = template.Library()


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if seconds < 0:
        return "-" + human_duration(-seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def human_timedelta(value: timedelta | None) -> str:
    return human_duration(value.total_seconds() if value is not None else None)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# (key, label, field holding the headline number, higher is better)
HEADLINES = (
    ("deployment_frequency", "Deployment frequency", "per_day", True),
    ("lead_time", "Lead time for changes", "median_seconds", False),
    ("change_failure_rate", "Change failure rate", "rate", False),
    ("time_to_restore", "Time to restore service", "median_seconds", False),
)


def _value_text(key: str, value: float | None) -> str:
    if value is None:
        return "no data"
    if key == "deployment_frequency":
        return f"{value:.2f} / day"
    if key == "change_failure_rate":
        return percent(value)
    return human_duration(value)


def _delta(key: str, now: float | None, before: float | None, higher_is_better: bool) -> dict:
    if now is None or before is None:
        return {"text": "no comparison", "css": ""}
    if before == now:
        return {"text": "unchanged", "css": ""}
    better = (now > before) == higher_is_better
    if key == "change_failure_rate":
        text = f"{(now - before) * 100:+.1f} pts"
    elif before:
        text = f"{(now - before) / before * 100:+.0f}%"
    else:
        text = "new"
    return {"text": f"{text} vs previous period", "css": "better" if better else "worse"}


def headline_cards(current: dict, previous: dict | None) -> list[dict]:
    """One card per DORA key: value in human units, level, change vs the previous period."""
    cards = []
    for key, label, field, higher_is_better in HEADLINES:
        figure = current.get(key) or {}
        value = figure.get(field)
        before = (previous or {}).get(key, {}).get(field) if previous else None
        cards.append(
            {
                "key": key,
                "label": label,
                "value": _value_text(key, value),
                "level": figure.get("level") or "no data",
                "delta": _delta(key, value, before, higher_is_better),
                "figure": figure,
            }
        )
    return cards
