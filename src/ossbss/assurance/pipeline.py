"""The alarm pipeline: collectors hand it signals without waiting for the database; one
writer thread stores them in batches (``store.ingest``, one transaction per batch).

Fire and forget (``submit``: UDP collectors) or durable (``submit_durable``: a future
resolved once the batch holding the signals has committed, for HTTP endpoints). When more
than ``max_pending`` signals wait, ``submit`` refuses (False) and the refusal is counted:
a flood never grows memory without bound. A batch that fails is retried signal by signal,
so one bad signal costs only itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from ossbss.assurance.flapping import FlapRule
from ossbss.assurance.signals import AlarmSignal
from ossbss.assurance.store import IngestOutcome, ingest
from ossbss.kernel import Clock, Database

log = logging.getLogger(__name__)
# How long the writer waits for more signals to fill a batch once it has some.
LINGER_SECONDS = 0.005
# At most one log line per this many seconds about refused or failed signals.
LOG_EVERY_SECONDS = 10.0


@dataclass(slots=True)
class _Submission:
    signals: Sequence[AlarmSignal]
    future: Future[IngestOutcome] | None


@dataclass(slots=True)
class _Counters:
    accepted: int = 0
    stored: int = 0
    overloaded: int = 0
    failed: int = 0
    batches: int = 0
    retried_batches: int = 0
    last_error: str | None = None


class AlarmPipeline:
    """Implements ``AlarmSink``; thread-safe."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        batch_size: int = 2000,
        max_pending: int = 200_000,
        flap_rule: FlapRule | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._batch_size = max(1, batch_size)
        self._max_pending = max_pending
        self._flap_rule = flap_rule
        self._queue: deque[_Submission] = deque()
        self._pending = 0  # signals queued, not yet taken by the writer
        self._in_flight = 0  # signals taken, not yet stored or failed
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._counters = _Counters()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._last_log = 0.0

    # -- the sink -------------------------------------------------------------------------

    def submit(self, signals: Sequence[AlarmSignal]) -> bool:
        """Queue ``signals``; False (counted "overloaded") when too many already wait."""
        return self._enqueue(signals, None)

    def submit_durable(self, signals: Sequence[AlarmSignal]) -> Future[IngestOutcome]:
        """Queue ``signals``; the future gives the outcome of the batch that stored them once
        it committed (fails with the error if one of them could not be stored, or with
        ``Overloaded`` when the pipeline is full)."""
        future: Future[IngestOutcome] = Future()
        if not self._enqueue(signals, future):
            future.set_exception(Overloaded("the alarm pipeline is full"))
        return future

    def _enqueue(
        self, signals: Sequence[AlarmSignal], future: Future[IngestOutcome] | None
    ) -> bool:
        if not signals:
            if future is not None:
                future.set_result(IngestOutcome())
            return True
        with self._lock:
            if self._pending + len(signals) > self._max_pending:
                self._counters.overloaded += len(signals)
                self._log_throttled("alarm pipeline full: %d signals refused", len(signals))
                return False
            self._queue.append(_Submission(signals, future))
            self._pending += len(signals)
            self._counters.accepted += len(signals)
            self._wake.notify()
        return True

    # -- control --------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="alarm-pipeline", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Store what is queued, then stop the writer."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._wake.notify()
        if thread is not None:
            thread.join(timeout)
        else:
            self._drain_here()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is stored (or failed); False on timeout.
        Without a running writer the caller's thread does the work."""
        if self._thread is None:
            self._drain_here()
            return True
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None

    def status(self) -> dict[str, Any]:
        with self._lock:
            counters = self._counters
            return {
                "running": self._thread is not None,
                "pending": self._pending + self._in_flight,
                "maxPending": self._max_pending,
                "batchSize": self._batch_size,
                "accepted": counters.accepted,
                "stored": counters.stored,
                "overloaded": counters.overloaded,
                "failed": counters.failed,
                "batches": counters.batches,
                "retriedBatches": counters.retried_batches,
                "lastError": counters.last_error,
            }

    # -- the writer -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._take(wait=True)
            if batch is None:
                return
            self._store(batch)

    def _drain_here(self) -> None:
        while (batch := self._take(wait=False)) is not None:
            self._store(batch)

    def _take(self, *, wait: bool) -> list[_Submission] | None:
        """The next batch: up to batch_size signals, waiting a few ms for more to come."""
        with self._lock:
            if wait:
                while not self._queue and not self._stopping:
                    self._wake.wait()
                if self._queue and not self._stopping:
                    deadline = time.monotonic() + LINGER_SECONDS
                    while self._pending < self._batch_size:
                        left = deadline - time.monotonic()
                        if left <= 0 or not self._wake.wait(left):
                            break
            if not self._queue:
                return None
            batch: list[_Submission] = []
            size = 0
            while self._queue and (
                not batch or size + len(self._queue[0].signals) <= self._batch_size
            ):
                submission = self._queue.popleft()
                batch.append(submission)
                size += len(submission.signals)
            self._pending -= size
            self._in_flight += size
            return batch

    def _store(self, batch: list[_Submission]) -> None:
        signals = [signal for submission in batch for signal in submission.signals]
        try:
            outcome = self._ingest(signals)
        except Exception as exc:  # retried one by one below
            self._note_error(exc, retried=True)
            self._store_one_by_one(batch)
        else:
            self._finish(len(signals), stored=len(signals), batches=1)
            for submission in batch:
                if submission.future is not None:
                    submission.future.set_result(outcome)

    def _store_one_by_one(self, batch: list[_Submission]) -> None:
        for submission in batch:
            outcomes: list[IngestOutcome] = []
            error: Exception | None = None
            stored = 0
            for signal in submission.signals:
                try:
                    outcomes.append(self._ingest([signal]))
                    stored += 1
                except Exception as exc:  # one bad signal: counted, logged
                    error = exc
                    self._note_error(exc, retried=False)
            self._finish(len(submission.signals), stored=stored, batches=0)
            if submission.future is None:
                continue
            if error is not None:
                submission.future.set_exception(error)
            else:
                submission.future.set_result(_combined(outcomes))

    def _ingest(self, signals: Sequence[AlarmSignal]) -> IngestOutcome:
        with self._database.unit_of_work() as session:
            return ingest(
                session, signals=signals, now=self._clock.now(), flap_rule=self._flap_rule
            )

    def _finish(self, size: int, *, stored: int, batches: int) -> None:
        with self._lock:
            self._in_flight -= size
            self._counters.stored += stored
            self._counters.failed += size - stored
            self._counters.batches += batches
            if not self._pending and not self._in_flight:
                self._idle.notify_all()

    def _note_error(self, exc: Exception, *, retried: bool) -> None:
        with self._lock:
            self._counters.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if retried:
                self._counters.retried_batches += 1
            self._log_throttled("alarm pipeline: %s", self._counters.last_error)

    def _log_throttled(self, message: str, *args: Any) -> None:
        """Called with the lock held."""
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY_SECONDS:
            self._last_log = now
            log.warning(message, *args)


class Overloaded(Exception):
    """The pipeline refused the signals: too many wait already."""


def _combined(outcomes: Sequence[IngestOutcome]) -> IngestOutcome:
    return IngestOutcome(
        raised=tuple(i for o in outcomes for i in o.raised),
        updated=tuple(i for o in outcomes for i in o.updated),
        cleared=tuple(i for o in outcomes for i in o.cleared),
        duplicates=sum(o.duplicates for o in outcomes),
        ignored_clears=sum(o.ignored_clears for o in outcomes),
    )
