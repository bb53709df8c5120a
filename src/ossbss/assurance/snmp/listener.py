"""The SNMP trap collector: a UDP server on loopback that turns v1/v2c/v3 TRAPs and INFORMs
into alarm signals for an ``AlarmSink`` (the alarm pipeline).

Hot path (v1/v2c): the minimal BER decoder, the community check, the per-source token bucket,
the mapping rules; the signals of one socket drain go to the sink in one ``submit``. An INFORM
is answered only once the sink took its signal (a full pipeline leaves it unanswered, so the
sender retries). SNMPv3 goes through pysnmp (``v3.py``), which answers v3 INFORMs itself.

Refused datagrams are counted per reason (malformed, community, v3_*, flood, unmapped,
overloaded) with a log line per reason at most every ``LOG_EVERY_SECONDS``; nothing refused
reaches the sink. A trap from a source the inventory does not know is still an alarm (no
alarmed object, ``details["unresolved"]``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ossbss.assurance.flood import TokenBuckets
from ossbss.assurance.objects import ObjectDirectory
from ossbss.assurance.signals import AlarmSignal, AlarmSink
from ossbss.assurance.snmp import ber
from ossbss.assurance.snmp.mapping import TrapMapping
from ossbss.assurance.snmp.v3 import V3Notification, V3Receiver, V3User
from ossbss.kernel import Clock
from ossbss.kernel.server_thread import ServerThread, udp_socket
from ossbss.kernel.throttled_log import ThrottledLog

log = logging.getLogger(__name__)
# A burst waits in the kernel while the loop decodes: each queued datagram costs about 1 KB
# of buffer (skb overhead), so 64 MB holds a 50,000-trap burst. Above net.core.rmem_max only
# with CAP_NET_ADMIN (SO_RCVBUFFORCE); otherwise the kernel caps it (raise rmem_max).
RECEIVE_BUFFER_BYTES = 64 * 1024 * 1024
MAX_DATAGRAM = 65535
DRAIN_PER_WAKEUP = 2000  # datagrams read per loop turn
# Signals wait up to this long (or until this many) before one submit: each submit wakes the
# pipeline's writer thread, and waking it per datagram would make the two threads trade the
# GIL thousands of times a second. An INFORM's answer waits as long.
SUBMIT_EVERY_SECONDS = 0.01
SUBMIT_AT = 1000
DEFAULT_SOURCE_RATE = 1000.0  # notifications per second per source (0: no flood control)
DEFAULT_SOURCE_BURST = 5000.0
DEFAULT_DIRECTORY_REFRESH_SECONDS = 30.0


@dataclass(frozen=True)
class TrapCollectorStatus:
    """What the collector has seen since it started (counters)."""

    received: int  # datagrams
    accepted: int  # signals the sink took
    informs_acknowledged: int
    refused: dict[str, int]
    by_version: dict[str, int]
    v3_discoveries: int  # engine-ID discovery requests answered (not refusals)


@dataclass
class _Counters:
    received: int = 0
    accepted: int = 0
    informs_acknowledged: int = 0
    v3_discoveries: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    by_version: Counter[str] = field(default_factory=Counter)


class SnmpTrapListener(asyncio.DatagramProtocol):
    """Listens on ``host:port`` (0 picks a free port: read ``port`` after ``start``)."""

    def __init__(
        self,
        *,
        sink: AlarmSink,
        clock: Clock,
        mapping: TrapMapping | None = None,
        communities: Sequence[str] = ("public",),
        v3_users: Sequence[V3User] = (),
        engine_id: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        source_rate: float = DEFAULT_SOURCE_RATE,
        source_burst: float = DEFAULT_SOURCE_BURST,
        directory_loader: Callable[[], ObjectDirectory] | None = None,
        directory_refresh_seconds: float = DEFAULT_DIRECTORY_REFRESH_SECONDS,
        receive_buffer_bytes: int = RECEIVE_BUFFER_BYTES,
    ) -> None:
        self._sink = sink
        self._clock = clock
        self._mapping = mapping or TrapMapping.load()
        self._communities = frozenset(c.encode() for c in communities)
        self._v3 = V3Receiver(v3_users, engine_id=engine_id) if v3_users else None
        self.host = host
        self.port = port
        self._buckets = TokenBuckets(source_rate, source_burst)
        self._directory_loader = directory_loader
        self._directory_refresh = directory_refresh_seconds
        self._receive_buffer = receive_buffer_bytes
        self.receive_buffer_bytes = 0  # what the kernel granted (after start)
        self.directory: ObjectDirectory | None = None
        self._counters = _Counters()
        self._log = ThrottledLog(log)
        self._transport: asyncio.DatagramTransport | None = None
        self._socket: socket.socket | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._signals: list[AlarmSignal] = []  # waiting for the next submit
        self._acks: list[tuple[bytes, tuple[str, int]]] = []  # sent once those are taken
        self._submit_later: asyncio.TimerHandle | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._directory_loader is not None:
            await self.reload_directory()
        # Our own socket: a big receive buffer, drained directly in datagram_received.
        sock = udp_socket(self.host, self.port, receive_buffer_bytes=self._receive_buffer)
        transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=sock)
        self._transport, self._socket = transport, sock
        self.port = transport.get_extra_info("sockname")[1]
        self.receive_buffer_bytes = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        if self._v3 is not None:
            self._v3.attach(transport)
        if self._directory_loader is not None and self._directory_refresh > 0:
            self._refresher = asyncio.create_task(self._refresh_directory(), name="snmp-objects")
        log.info(
            "SNMP traps on udp %s:%s (receive buffer %d bytes)",
            self.host,
            self.port,
            self.receive_buffer_bytes,
        )

    async def stop(self) -> None:
        self._submit()
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self._v3 is not None:
            self._v3.close()
        if self._transport is not None:
            self._transport.close()

    async def reload_directory(self) -> None:
        """Read the inventory again (in a worker thread: the loop goes on receiving)."""
        assert self._directory_loader is not None
        try:
            self.directory = await asyncio.to_thread(self._directory_loader)
        except Exception as exc:  # keep the previous directory; alarms still flow
            self._log.warning("directory", "SNMP traps: the inventory was not read: %s", exc)

    @property
    def engine_id(self) -> str | None:
        return self._v3.engine_id if self._v3 is not None else None

    def status(self) -> TrapCollectorStatus:
        counters = self._counters
        return TrapCollectorStatus(
            received=counters.received,
            accepted=counters.accepted,
            informs_acknowledged=counters.informs_acknowledged,
            refused=dict(counters.refused),
            by_version=dict(counters.by_version),
            v3_discoveries=counters.v3_discoveries,
        )

    async def _refresh_directory(self) -> None:
        while True:
            await asyncio.sleep(self._directory_refresh)
            await self.reload_directory()

    # -- receiving ---------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        signals, acks = self._signals, self._acks
        self._receive(data, addr, signals, acks)
        # asyncio reads one datagram per turn of the loop: drain the backlog in one go instead.
        sock = self._socket
        if sock is not None:
            for _ in range(DRAIN_PER_WAKEUP):
                try:
                    data, addr = sock.recvfrom(MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:
                    self.error_received(exc)
                    break
                self._receive(data, addr, signals, acks)
        if len(signals) >= SUBMIT_AT:
            self._submit()
        elif signals and self._submit_later is None:
            loop = asyncio.get_running_loop()
            self._submit_later = loop.call_later(SUBMIT_EVERY_SECONDS, self._submit)

    def error_received(self, exc: Exception) -> None:
        self._log.warning("socket", "SNMP trap socket error: %s", exc)

    def _receive(
        self,
        data: bytes,
        addr: tuple[str | Any, int],
        signals: list[AlarmSignal],
        acks: list[tuple[bytes, tuple[str, int]]],
    ) -> None:
        counters = self._counters
        counters.received += 1
        source = str(addr[0])
        if not self._buckets.allow(source):
            self._refuse("flood", source, "more than the per-source rate")
            return
        try:
            version = ber.message_version(data)
            if version == ber.VERSION_3:
                self._receive_v3(data, (source, int(addr[1])), signals)
                return
            notification = ber.decode(data)
        except ber.BerError as exc:
            self._refuse("malformed", source, str(exc))
            return
        counters.by_version["v1" if notification.version == ber.VERSION_1 else "v2c"] += 1
        if notification.community not in self._communities:
            self._refuse("community", source, "unknown community")
            return
        address = notification.agent_address or source
        signal = self._mapping.signal(
            trap_oid=notification.trap_oid,
            varbinds=notification.varbinds,
            address=address,
            directory=self.directory,
            now=self._clock.now(),
        )
        if signal is None:
            self._refuse("unmapped", source, f"no rule for {notification.trap_oid}")
        else:
            signals.append(signal)
        if notification.is_inform:
            # An unmapped INFORM is answered too: it was received, retrying would not help.
            acks.append((ber.inform_response(notification), (source, int(addr[1]))))
            if signal is None:
                self._answer(acks.pop())

    def _receive_v3(
        self, data: bytes, address: tuple[str, int], signals: list[AlarmSignal]
    ) -> None:
        self._counters.by_version["v3"] += 1
        if self._v3 is None:
            self._refuse("v3_not_configured", address[0], "no SNMPv3 users configured")
            return
        result = self._v3.receive(data, address)
        if result == "v3_discovery":
            self._counters.v3_discoveries += 1
            return
        if not isinstance(result, V3Notification):
            self._refuse(result, address[0], "SNMPv3 message refused")
            return
        if result.is_inform:  # pysnmp answered it
            self._counters.informs_acknowledged += 1
        signal = self._mapping.signal(
            trap_oid=result.trap_oid,
            varbinds=result.varbinds,
            address=address[0],
            directory=self.directory,
            now=self._clock.now(),
        )
        if signal is None:
            self._refuse("unmapped", address[0], f"no rule for {result.trap_oid}")
            return
        signals.append(signal)

    def _submit(self) -> None:
        if self._submit_later is not None:
            self._submit_later.cancel()
            self._submit_later = None
        signals, acks = self._signals, self._acks
        if not signals:
            return
        self._signals, self._acks = [], []
        try:
            taken = self._sink.submit(signals)
        except Exception as exc:
            self._log.warning("sink", "SNMP traps: the alarm sink failed: %s", exc)
            taken = False
        if not taken:
            # Unanswered INFORMs are sent again by their agents; traps are lost (counted).
            self._counters.refused["overloaded"] += len(signals)
            self._log.warning(
                "overloaded", "SNMP traps: %d signals dropped (sink full)", len(signals)
            )
            return
        self._counters.accepted += len(signals)
        for ack in acks:
            self._answer(ack)

    def _answer(self, ack: tuple[bytes, tuple[str, int]]) -> None:
        if self._transport is not None:
            self._transport.sendto(ack[0], ack[1])
            self._counters.informs_acknowledged += 1

    def _refuse(self, reason: str, source: str, detail: str) -> None:
        self._counters.refused[reason] += 1
        self._log.warning(reason, "SNMP trap refused (%s) from %s: %s", reason, source, detail)


class TrapCollectorThread(ServerThread[SnmpTrapListener]):
    """The collector on an event loop of its own thread (beside ``ossbss serve``)."""

    def __init__(self, listener: SnmpTrapListener) -> None:
        super().__init__(listener, name="snmp-traps", what="the SNMP trap collector")
        self.listener = listener

    def reload_directory(self, timeout: float = 10.0) -> None:
        """Read the inventory now (tests; an operator's "I just added a device")."""
        if self.loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.listener.reload_directory(), self.loop).result(
            timeout
        )
