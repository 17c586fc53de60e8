"""A per-device flood limit: a token bucket per phone cookie, held in memory only.

Keyed by the device cookie, never by address: the server keeps no IP addresses, even in memory.
"""
from __future__ import annotations

import time
from collections import OrderedDict

MAX_TRACKED = 20_000  # the oldest buckets are dropped first, so memory stays bounded under attack


class RateLimiter:
    """Allows `burst` requests at once per key, refilled at `per_second`."""

    def __init__(self, *, burst: int, per_second: float, clock=time.monotonic):
        self.burst, self.per_second, self.clock = burst, per_second, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        now = self.clock()
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        allowed = tokens >= 1
        self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        while len(self._buckets) > MAX_TRACKED:
            self._buckets.popitem(last=False)
        return allowed
