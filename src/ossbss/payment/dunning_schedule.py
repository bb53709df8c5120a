"""The periodic dunning run: a thread beside ``serve`` or ``worker`` (OSSBSS_DUNNING_ENABLED)
that runs dunning once when it starts and then every OSSBSS_DUNNING_INTERVAL_SECONDS (a
day). A run repeated the same day takes no step twice, so several processes may run it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ossbss.kernel import Clock, Database
from ossbss.payment.dunning import DunningReport, run_dunning
from ossbss.payment.dunning_policy import DunningPolicy

log = logging.getLogger(__name__)


def run_once(database: Database, clock: Clock, policy: DunningPolicy) -> DunningReport:
    """One dunning run as of now, in its own transaction."""
    with database.unit_of_work() as session:
        now = clock.now()
        return run_dunning(session, as_of=now, policy=policy, now=now)


class DunningSchedule:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        policy: DunningPolicy,
        *,
        interval: float = 86400.0,
        on_report: Callable[[DunningReport], None] | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._policy = policy
        self._interval = interval
        self._on_report = on_report
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dunning", daemon=True)

    def start(self) -> DunningSchedule:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            try:
                report = run_once(self._database, self._clock, self._policy)
            except Exception:
                log.exception("the dunning run failed; it runs again after the interval")
            else:
                if self._on_report is not None:
                    self._on_report(report)
            if self._stopping.wait(self._interval):
                return
