"""The figures of a clean project, kept in the cache between requests.

A clean project (no day marked up to the period's end, every snapshot built in its time zone:
`apps.metrics.selectors.sources`) has figures that depend only on what the snapshot rebuild
wrote, and on rows that no write changes without marking a day. Rebuilding a marked day
rewrites that day's snapshot row, or deletes it when nothing is left to count. So the number
of the project's snapshot rows before the period's end and the latest time one was built
(`FigureSources.versions`) change with every rebuild that can change the figures, including
one of a day before the period (a change's first deployment moved out of it). That version is
part of the key: an entry is never invalidated, it simply stops being asked for, and expires.

Most of a dashboard's periods are clean most of the time: the previous period always, once a
delivery's rebuild has run. A project with a marked day is computed as before. Several projects
as one (a team, all projects) are kept on the versions of all their members, when none of them
is marked.
"""

import hashlib
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache

from apps.metrics import levels
from apps.metrics.selectors.query import Key, Slice
from apps.metrics.selectors.results import Figures, SeriesPoint
from apps.metrics.selectors.sources import FigureSources

logger = logging.getLogger(__name__)


def _code_version() -> str:
    """A digest of the code that computes figures from the rows: a release that changes how a
    figure is computed, or what an entry holds, never reads what an older release kept."""
    digest = hashlib.sha256()
    for path in [*sorted(Path(__file__).parent.glob("*.py")), Path(levels.__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


LAYOUT = _code_version()

Kept = tuple[Figures, list[SeriesPoint]]


def _key(piece: Slice, key: Key, version: str, benchmark: str, interval: str | None) -> str:
    member = "as-one" if key is None else key  # the version of several names its members
    return (
        f"figures:{LAYOUT}:{member}:{piece.environment}:{piece.tz}:{piece.since}:"
        f"{piece.until}:{benchmark}:{interval or '-'}:{version}"
    )


def _keys(
    piece: Slice, sources: FigureSources, benchmark: str, interval: str | None
) -> dict[str, Key]:
    if settings.DORAHUB_FIGURE_CACHE_SECONDS <= 0:
        return {}
    return {
        _key(piece, key, version, benchmark, interval): key
        for key, version in sources.versions.items()
    }


def read(
    piece: Slice, sources: FigureSources, *, benchmark: str, interval: str | None
) -> dict[Key, Kept]:
    """The kept figures of the clean members of `piece`, by project id (None: the slice's
    projects as one)."""
    keys = _keys(piece, sources, benchmark, interval)
    if not keys:
        return {}
    try:
        found: dict[str, Any] = cache.get_many(list(keys))
    except Exception:  # the cache is an optimisation: without it, figures are computed
        logger.warning("figure cache unavailable", exc_info=True)
        return {}
    return {keys[key]: value for key, value in found.items()}


def keep(
    piece: Slice,
    sources: FigureSources,
    computed: dict[Key, Kept],
    *,
    benchmark: str,
    interval: str | None,
) -> None:
    """Keep the figures just computed for the clean members of `piece`."""
    keys = _keys(piece, sources, benchmark, interval)
    values = {key: computed[pk] for key, pk in keys.items() if pk in computed}
    if not values:
        return
    try:
        cache.set_many(values, timeout=settings.DORAHUB_FIGURE_CACHE_SECONDS)
    except Exception:
        logger.warning("figure cache unavailable", exc_info=True)
