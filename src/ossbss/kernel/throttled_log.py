"""A log line per reason at most every few seconds: a flood of bad packets must not become a
flood of log lines (the collectors count every refusal; the log says what kind and how many)."""

from __future__ import annotations

import logging
import time
from collections import Counter

LOG_EVERY_SECONDS = 10.0


class ThrottledLog:
    """One warning per reason per interval, saying how many were suppressed meanwhile."""

    def __init__(self, logger: logging.Logger, every: float = LOG_EVERY_SECONDS) -> None:
        self._logger = logger
        self._every = every
        self._last: dict[str, float] = {}
        self._suppressed: Counter[str] = Counter()

    def warning(self, reason: str, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last.get(reason, -self._every) < self._every:
            self._suppressed[reason] += 1
            return
        self._last[reason] = now
        more = self._suppressed.pop(reason, 0)
        suffix = f" (and {more} more since the last report)" if more else ""
        self._logger.warning(message + suffix, *args)
