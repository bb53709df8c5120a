"""The activator: runs due service orders' steps on the drivers, outside any transaction.

A batch costs two write transactions whatever its size: one claims (and plans) the orders
with a lease, one records every order's outcome. Between them the drivers talk to the
network, several orders at a time. Steps are idempotent, so an order whose process died
mid-way simply runs again when its lease runs out, and either completes or is compensated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from ossbss.kernel.db import Database
from ossbss.kernel.time import Clock
from ossbss.provisioning import service
from ossbss.provisioning.drivers import ActivationRequest, ActivationResult, Driver
from ossbss.tmf import trusted

log = logging.getLogger(__name__)
COALESCE_SECONDS = 0.02


class Activator:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        drivers: Mapping[str, Driver],
        *,
        poll_seconds: float = 1.0,
        lease_seconds: float = 60.0,
        batch_size: int = 50,
        workers: int = 8,
    ) -> None:
        self._db = database
        self._clock = clock
        self.drivers = dict(drivers)
        self._poll_seconds = poll_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._batch_size = batch_size
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="activator")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_pending(self) -> int:
        """Run every due order to its end; returns how many finished."""
        finished = 0
        while True:
            with self._db.unit_of_work() as session, trusted():
                claimed = service.claim_due(
                    session,
                    now=self._clock.now(),
                    lease=self._lease,
                    limit=self._batch_size,
                    skip_locked=not self._db.is_sqlite,
                )
            if not claimed:
                return finished
            outcomes = list(self._pool.map(self._execute, claimed))
            with self._db.unit_of_work() as session, trusted():
                for outcome in outcomes:
                    with session.begin_nested():
                        service.finish(session, outcome=outcome, now=self._clock.now())
            finished += len(outcomes)

    def _execute(self, claimed: service.Claimed) -> service.Outcome:
        if claimed.failure is not None:
            return service.Outcome(claimed.order_id, message=claimed.failure)
        done: list[tuple[Driver, ActivationRequest]] = []
        for position, (name, request) in enumerate(claimed.steps, start=1):
            driver = self.drivers.get(name)
            result = (
                ActivationResult(ok=False, message=f"no driver {name!r} is configured")
                if driver is None
                else _call(driver.execute, request)
            )
            if not result.ok:
                self._compensate(done)
                message = f"{request.spec} {request.action} failed: {result.message}"
                return service.Outcome(claimed.order_id, failed_position=position, message=message)
            assert driver is not None
            done.append((driver, request))
        return service.Outcome(claimed.order_id)

    def _compensate(self, done: list[tuple[Driver, ActivationRequest]]) -> None:
        for driver, request in reversed(done):
            result = _call(driver.undo, request)
            if not result.ok:
                # The order still fails; the element keeps what the undo could not remove,
                # which the configuration drift check and the logs show.
                log.error("undo of %s %s failed: %s", request.spec, request.service_id, result)

    # --- running in the background -----------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="activator", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self._pool.shutdown(wait=True)
        for driver in self.drivers.values():
            driver.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pending()
            except Exception:
                log.exception("activator batch failed; retrying")
            self._wake.wait(self._poll_seconds)
            self._wake.clear()
            # Let a burst of submissions gather into one batch.
            self._stop.wait(COALESCE_SECONDS)


def _call(operation: object, request: ActivationRequest) -> ActivationResult:
    try:
        result = operation(request)  # type: ignore[operator]
    except Exception as exc:
        log.warning("driver raised on %s %s: %r", request.spec, request.service_id, exc)
        return ActivationResult(ok=False, message=f"driver error: {exc}")
    assert isinstance(result, ActivationResult)
    return result
