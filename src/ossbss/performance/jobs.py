"""The KPI store's housekeeping inside ``serve``: the downsampling job (rollups, retention)
every interval on a thread of its own. ``ossbss performance downsample`` does one pass."""

from __future__ import annotations

import logging
import threading

from ossbss.kernel import Clock, Database
from ossbss.performance.store import DownsampleReport, Retention, downsample

log = logging.getLogger(__name__)


class Downsampler:
    """``downsample`` every ``interval`` seconds (its own transaction each time)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        interval: float = 300.0,
        retention: Retention | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._interval = interval
        self._retention = retention or Retention()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kpi-downsample", daemon=True)
        self.passes = 0

    def start(self) -> Downsampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=60)

    def run_once(self) -> DownsampleReport:
        with self._database.unit_of_work() as session:
            report = downsample(session, now=self._clock.now(), retention=self._retention)
        self.passes += 1
        return report

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                report = self.run_once()
            except Exception:
                log.exception("KPI downsampling failed; it runs again after the interval")
            else:
                log.debug("KPI downsampling: %s", report)
