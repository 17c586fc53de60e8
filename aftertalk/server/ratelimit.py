"""Flood limits: token buckets per phone cookie and per open connection, held in memory only.

Never keyed by address: the server keeps no IP addresses, even in memory.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any

MAX_TRACKED = 20_000  # the oldest buckets are dropped first, so memory stays bounded under attack


class RateLimiter:
    """Allows `burst` requests at once per key, refilled at `per_second`."""

    def __init__(self, *, burst: int, per_second: float, clock=time.monotonic):
        self.burst, self.per_second, self.clock = burst, per_second, clock
        # key -> (tokens left, when last refilled); a key used moves to the end, so the first is the stalest
        self._buckets: MutableMapping[Any, tuple[float, float]] = OrderedDict()

    def allow(self, key) -> bool:
        now = self.clock()
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        allowed = tokens >= 1
        self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        self.trim()
        return allowed

    def trim(self) -> None:
        while len(self._buckets) > MAX_TRACKED:
            del self._buckets[next(iter(self._buckets))]  # the stalest


class ConnectionLimiter(RateLimiter):
    """The same, keyed by the connection object: a script that sends a fresh cookie with every request
    still shares its connection's bucket. A bucket lives exactly as long as its connection."""

    def __init__(self, **limits):
        super().__init__(**limits)
        self._buckets = weakref.WeakKeyDictionary()

    def trim(self) -> None:
        pass  # a bucket goes with its connection, so there are never more than the open connections
