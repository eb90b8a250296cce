"""Per-sender rate limit on ingestion routes: a fixed one-minute window counted in the cache.

DRF's SimpleRateThrottle keeps a list of request times per key, which costs O(rate) per request
at webhook rates; one counter per window costs one cache round trip."""

import time

from django.conf import settings
from django.core.cache import cache

from apps.core.errors import RateLimited

WINDOW_SECONDS = 60


def check_rate(*, key: str, now: float | None = None) -> None:
    limit = settings.DORAHUB_INGEST_RATE_PER_MINUTE
    if not limit:
        return
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    cache_key = f"throttle:{key}:{window}"
    try:
        count = cache.incr(cache_key)  # one round trip in the common case
    except ValueError:
        # First request of the window (or the counter was evicted); another request may
        # create it between our incr and add, then we count on top of its value.
        created = cache.add(cache_key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1 if created else cache.incr(cache_key)
    if count > limit:
        wait = (window + 1) * WINDOW_SECONDS - now
        raise RateLimited(
            f"More than {limit} deliveries a minute from this sender; retry later.",
            wait=max(1, int(wait + 0.999)),
        )
