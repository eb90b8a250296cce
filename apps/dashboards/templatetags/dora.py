from datetime import timedelta
from typing import Any

from django import template
from django.utils import timezone

from apps.dashboards import formatting
from apps.metrics.selectors.figure_rows import skip_reason as figure_skip_reason

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    return formatting.human_duration(seconds)


@register.filter
def timedelta_human(value: timedelta | None) -> str:
    return formatting.human_timedelta(value)


@register.filter
def percent(value: float | None) -> str:
    return formatting.percent(value)


@register.filter
def level_class(level: str | None) -> str:
    return (level or "no data").replace(" ", "-")


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (keeps filters across links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def make_list_of_words(value: str) -> list[str]:
    return value.split()


@register.filter
def get(mapping: dict, key: str) -> Any:
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


@register.filter
def skip_reason(row: Any) -> str:
    return figure_skip_reason(row)


@register.filter
def age(instant: Any) -> str:
    """How long ago `instant` was, written by the one duration formatter."""
    if instant is None:
        return ""
    return formatting.human_duration((timezone.now() - instant).total_seconds()) + " ago"
