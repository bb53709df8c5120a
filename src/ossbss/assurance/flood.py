"""Flood control per source for the collectors (SNMP traps, syslog): a token bucket per sender,
so one chatty or broken device cannot crowd out the others."""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_SOURCES = 100_000  # buckets kept; beyond, the idle ones are forgotten (refilled = full)


class TokenBuckets:
    """``rate`` notifications per second per source, bursts up to ``burst``; rate <= 0 = off.

    A bucket starts full, so a device that was quiet may send a burst at once."""

    def __init__(
        self, rate: float, burst: float, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = max(burst, 1.0)
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # source -> (tokens, at)

    def allow(self, source: str) -> bool:
        if self._rate <= 0:
            return True
        now = self._monotonic()
        tokens, at = self._buckets.get(source, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens < 1.0:
            self._buckets[source] = (tokens, now)
            return False
        if len(self._buckets) >= MAX_SOURCES and source not in self._buckets:
            self._forget_full(now)
        self._buckets[source] = (tokens - 1.0, now)
        return True

    def _forget_full(self, now: float) -> None:
        full = [
            source
            for source, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self._rate >= self._burst
        ]
        for source in full:
            del self._buckets[source]
