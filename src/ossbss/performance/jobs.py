"""The KPI store's housekeeping inside ``serve``: the downsampling job (rollups, retention)
every interval on a thread of its own. ``ossbss performance downsample`` does one pass."""

from __future__ import annotations

import logging

from ossbss.kernel import Clock, Database
from ossbss.kernel.periodic import Periodic
from ossbss.performance.store import DownsampleReport, Retention, downsample

log = logging.getLogger(__name__)


class Downsampler(Periodic):
    """``downsample`` every ``interval`` seconds (its own transaction each time)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        interval: float = 300.0,
        retention: Retention | None = None,
    ) -> None:
        super().__init__(interval=interval, name="kpi-downsample")
        self._database = database
        self._clock = clock
        self._retention = retention or Retention()
        self.passes = 0

    def run_once(self) -> DownsampleReport:
        with self._database.unit_of_work() as session:
            report = downsample(session, now=self._clock.now(), retention=self._retention)
        self.passes += 1
        return report

    def run(self) -> None:
        log.debug("KPI downsampling: %s", self.run_once())
