"""The poller on an event loop of its own thread (beside ``ossbss serve``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from ossbss.performance.poller.client import SnmpClient
from ossbss.performance.poller.scheduler import Poller, PollerStatus


class PollerThread:
    """``PollerThread(make_poller).start()`` ... ``.status()`` ... ``.stop()``.

    ``make_poller`` receives the open client and builds the poller on the thread's loop.
    """

    def __init__(
        self,
        make_poller: Callable[[SnmpClient], Poller],
        *,
        timeout: float = 2.0,
        retries: int = 1,
    ) -> None:
        self._make_poller = make_poller
        self._client = SnmpClient(timeout=timeout, retries=retries)
        self.poller: Poller | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="snmp-poller", daemon=True)

    def start(self, timeout: float = 10.0) -> PollerThread:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the SNMP poller did not start")
        if self._error is not None:
            raise RuntimeError(f"the SNMP poller failed: {self._error}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=10)

    def status(self) -> PollerStatus | None:
        return self.poller.status() if self.poller is not None else None

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            try:
                await self._client.open()
                self.poller = self._make_poller(self._client)
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            try:
                await self.poller.run(self._stopping)
            finally:
                self._client.close()

        asyncio.run(main())
