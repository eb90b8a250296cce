"""Work that follows an accepted delivery, run by a Celery task after commit.

Each domain app registers a handler for the effect kinds it understands (for example
"deployments" or "incidents") from its AppConfig.ready(); handlers take ids and are idempotent.
"""

from collections.abc import Callable
from typing import Any

Handler = Callable[[list[Any]], None]
HANDLERS: dict[str, list[Handler]] = {}


def on_effect(kind: str) -> Callable[[Handler], Handler]:
    def decorator(func: Handler) -> Handler:
        HANDLERS.setdefault(kind, []).append(func)
        return func

    return decorator


def run(effects: dict[str, list[Any]]) -> None:
    for kind, ids in effects.items():
        for handler in HANDLERS.get(kind, []):
            handler(ids)
