"""The RADIUS accounting collector (RFC 2866): a UDP server on loopback that turns
Start / Interim-Update / Stop into usage records for a sink (``usage.ingest``).

Durability before acknowledgement: packets are verified and decoded as they arrive, queued,
and written in batches (one transaction per batch: the records through the sink and the
per-session counters in ``usage_accounting_session``). Only after the commit do the
Accounting-Responses go out. A crash loses nothing the NAS believes delivered: it retries what
was not answered, and the stored counters turn the retry into "nothing new" or the right delta.

A packet that is refused (malformed, wrong secret, missing attributes, absurd counters) is
counted per reason and never answered, so the NAS keeps it; a log line per reason at most
every ``LOG_EVERY_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ossbss.kernel import Clock, Database
from ossbss.kernel.server_thread import ServerThread, udp_socket
from ossbss.kernel.throttled_log import ThrottledLog
from ossbss.usage.accounting_contract import UsageSink
from ossbss.usage.accounting_packets import Received, Refusal, decode
from ossbss.usage.accounting_rules import AccountingEvent, Decision, Outcome
from ossbss.usage.accounting_store import store_batch

log = logging.getLogger(__name__)
DEFAULT_BATCH_SIZE = 500
DEFAULT_BATCH_WAIT_SECONDS = 0.005
# When the database falls behind, packets beyond this many waiting are refused unanswered
# ("overloaded"): the NASes retry later instead of this process growing without bound.
DEFAULT_MAX_PENDING = 20_000
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024  # a burst waits in the kernel while a batch commits
MAX_DATAGRAM = 4096  # RFC 2865 section 3


@dataclass(frozen=True)
class CollectorStatus:
    """What the collector has seen since it started (counters, not state)."""

    received: int
    acknowledged: int
    records: int
    outcomes: dict[str, int]
    refused: dict[str, int]
    store_failures: int
    pending: int


@dataclass
class _Waiting:
    received: Received
    address: tuple[str, int]


@dataclass
class _Counters:
    received: int = 0
    acknowledged: int = 0
    records: int = 0
    store_failures: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)


class RadiusAccountingServer(asyncio.DatagramProtocol):
    """Listens on ``host:port`` (0 picks a free port: read ``port`` after ``start``)."""

    def __init__(
        self,
        *,
        database: Database,
        sink: UsageSink,
        secret: str | bytes,
        clock: Clock,
        host: str = "127.0.0.1",
        port: int = 0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batch_wait_seconds: float = DEFAULT_BATCH_WAIT_SECONDS,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self._database = database
        self._sink = sink
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._clock = clock
        self.host = host
        self.port = port
        self._batch_size = batch_size
        self._batch_wait = batch_wait_seconds
        self._max_pending = max_pending
        self._pending: list[_Waiting] = []
        # Packets queued or being stored: a retransmission of one of them waits for its answer.
        self._in_flight: set[tuple[object, ...]] = set()
        self._counters = _Counters()
        self._log = ThrottledLog(log)
        self._transport: asyncio.DatagramTransport | None = None
        self._socket: socket.socket | None = None
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        # Our own socket (asyncio hands out only a wrapper without recvfrom): a big receive
        # buffer, and drained directly in datagram_received.
        sock = udp_socket(self.host, self.port, receive_buffer_bytes=RECEIVE_BUFFER_BYTES)
        transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=sock)
        self._transport = transport
        self._socket = sock
        self.port = transport.get_extra_info("sockname")[1]
        self._writer = asyncio.create_task(self._write_batches(), name="radius-acct-writer")
        log.info("RADIUS accounting on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening; what is queued but not stored is dropped unanswered (NAS retries)."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        if self._transport is not None:
            self._transport.close()

    def status(self) -> CollectorStatus:
        counters = self._counters
        return CollectorStatus(
            received=counters.received,
            acknowledged=counters.acknowledged,
            records=counters.records,
            outcomes=dict(counters.outcomes),
            refused=dict(counters.refused),
            store_failures=counters.store_failures,
            pending=len(self._pending),
        )

    # -- receiving ---------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._receive(data, addr)
        # asyncio reads one datagram per turn of the loop; drain the backlog that built up
        # while a batch was being stored in one go instead (big batches, few commits).
        if self._socket is None:
            return
        for _ in range(self._batch_size):
            try:
                data, addr = self._socket.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.error_received(exc)
                return
            self._receive(data, addr)

    def _receive(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._counters.received += 1
        source = (str(addr[0]), int(addr[1]))
        result = decode(data, source, secret=self._secret, now=self._clock.now())
        if isinstance(result, Refusal):
            self._refuse(result.reason, f"{result.detail} from {source[0]}:{source[1]}")
            return
        if result.event is None:  # Status-Server: alive, nothing to store
            self._answer(result.response, source)
            return
        if result.retransmission_key in self._in_flight:
            self._counters.outcomes["retransmitted_while_pending"] += 1
            return
        if len(self._pending) >= self._max_pending:
            self._refuse("overloaded", f"{len(self._pending)} packets wait to be stored")
            return
        self._in_flight.add(result.retransmission_key)
        self._pending.append(_Waiting(result, source))
        assert self._wake is not None
        self._wake.set()

    def error_received(self, exc: Exception) -> None:
        self._log.warning("socket", "RADIUS accounting socket error: %s", exc)

    def _refuse(self, reason: str, detail: str) -> None:
        self._counters.refused[reason] += 1
        self._log.warning(reason, "RADIUS accounting packet refused (%s): %s", reason, detail)

    def _answer(self, response: bytes, address: tuple[str, int]) -> None:
        if self._transport is not None:
            self._transport.sendto(response, address)
            self._counters.acknowledged += 1

    # -- storing -----------------------------------------------------------------------------

    async def _write_batches(self) -> None:
        assert self._wake is not None
        while True:
            if not self._pending:
                # Idle: the first packets wait a moment for company (one commit for many),
                # unless the backlog read in one go is already a good batch.
                await self._wake.wait()
                if len(self._pending) < self._batch_size // 10:
                    await asyncio.sleep(self._batch_wait)
            batch = self._pending[: self._batch_size]
            del self._pending[: self._batch_size]
            if not self._pending:
                self._wake.clear()
            if batch:
                await self._store_and_answer(batch)

    async def _store_and_answer(self, batch: list[_Waiting]) -> None:
        events = [item.received.event for item in batch if item.received.event is not None]
        try:
            # In a worker thread: the loop goes on reading and decoding the next batch
            # meanwhile (it drains the socket per wake-up, so waiting for the GIL costs one
            # switch interval per backlog, not per datagram).
            decisions = await asyncio.to_thread(self._store, events)
        except Exception as exc:
            self._counters.store_failures += 1
            self._log.warning(
                "store", "RADIUS accounting: a batch of %d not stored: %s", len(batch), exc
            )
            decisions = None
        for item in batch:
            self._in_flight.discard(item.received.retransmission_key)
        if decisions is None:
            return
        for item, decision in zip(batch, decisions, strict=True):
            self._counters.outcomes[decision.outcome.value] += 1
            if decision.outcome is Outcome.RECORDED:
                self._counters.records += 1
            if decision.acknowledge:
                self._answer(item.received.response, item.address)
            else:
                self._refuse(decision.reason, f"session {_describe(item.received.event)}")

    def _store(self, events: Sequence[AccountingEvent]) -> list[Decision]:
        with self._database.unit_of_work() as session:
            return store_batch(session, events=events, sink=self._sink, now=self._clock.now())


def _describe(event: AccountingEvent | None) -> str:
    return f"{event.nas}/{event.session_id} ({event.subscriber})" if event else "-"


async def serve_until(server: RadiusAccountingServer, stopping: asyncio.Event) -> None:
    await server.start()
    try:
        await stopping.wait()
    finally:
        await server.stop()


class CollectorThread(ServerThread[RadiusAccountingServer]):
    """The collector on an event loop of its own thread (beside ``ossbss serve``)."""

    def __init__(self, server: RadiusAccountingServer) -> None:
        super().__init__(server, name="radius-acct", what="the RADIUS accounting collector")
