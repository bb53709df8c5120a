"""A job every so many seconds on a daemon thread of its own, beside ``serve`` or ``worker``
(the dunning run, the ticket SLA sweep, the KPI downsampling): a run that fails is logged and
tried again after the interval; ``stop`` waits for a run in progress to end."""

from __future__ import annotations

import logging
import threading
from typing import Self

log = logging.getLogger(__name__)


class Periodic:
    """Subclasses say what one run does (``run``); ``first_at_start`` runs once at once."""

    def __init__(self, *, interval: float, name: str, first_at_start: bool = False) -> None:
        self._interval = interval
        self._first_at_start = first_at_start
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def run(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        if self._first_at_start:
            self._run_logged()
        while not self._stopping.wait(self._interval):
            self._run_logged()

    def _run_logged(self) -> None:
        try:
            self.run()
        except Exception:
            log.exception("%s failed; it runs again after the interval", self._thread.name)
