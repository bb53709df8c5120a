"""The periodic dunning run: a thread beside ``serve`` or ``worker`` (OSSBSS_DUNNING_ENABLED)
that runs dunning once when it starts and then every OSSBSS_DUNNING_INTERVAL_SECONDS (a
day). A run repeated the same day takes no step twice, so several processes may run it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ossbss.kernel import Clock, Database
from ossbss.kernel.periodic import Periodic
from ossbss.payment.dunning import DunningReport, run_dunning
from ossbss.payment.dunning_policy import DunningPolicy

log = logging.getLogger(__name__)


def run_once(database: Database, clock: Clock, policy: DunningPolicy) -> DunningReport:
    """One dunning run as of now, in its own transaction."""
    with database.unit_of_work() as session:
        now = clock.now()
        return run_dunning(session, as_of=now, policy=policy, now=now)


class DunningSchedule(Periodic):
    def __init__(
        self,
        database: Database,
        clock: Clock,
        policy: DunningPolicy,
        *,
        interval: float = 86400.0,
        on_report: Callable[[DunningReport], None] | None = None,
    ) -> None:
        super().__init__(interval=interval, name="dunning", first_at_start=True)
        self._database = database
        self._clock = clock
        self._policy = policy
        self._on_report = on_report

    def run(self) -> None:
        report = run_once(self._database, self._clock, self._policy)
        if self._on_report is not None:
            self._on_report(report)
