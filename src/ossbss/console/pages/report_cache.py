"""Report rows kept for a while: the figures over months of bills and products take seconds
at 100k customers (ADR 0039), and a person looking at the charts, then exporting one as CSV,
then coming back, should not pay that each time. One cache per app; the page says how old its
figures are and offers a refresh that recomputes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any

TTL = timedelta(minutes=10)
MAX_ENTRIES = 64


class ReportCache:
    def __init__(self, *, ttl: timedelta = TTL) -> None:
        self._ttl = ttl
        self._entries: dict[Hashable, tuple[datetime, Any]] = {}
        self._lock = threading.Lock()

    def peek(self, key: Hashable, *, now: datetime) -> Any:
        """The kept value for ``key`` while younger than the TTL, else None."""
        with self._lock:
            hit = self._entries.get(key)
        return hit[1] if hit is not None and now - hit[0] < self._ttl else None

    def get(
        self, key: Hashable, *, now: datetime, fresh: bool, compute: Callable[[], Any]
    ) -> tuple[datetime, Any]:
        """(when computed, the value) for ``key``: the kept one while younger than the TTL
        (and not ``fresh``), else ``compute()``'s, kept from ``now``."""
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and not fresh and now - hit[0] < self._ttl:
            return hit
        value = compute()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now, value)
        return now, value
