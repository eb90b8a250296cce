from datetime import timedelta
from typing import Any

from django import template

from apps.dashboards import formatting

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
