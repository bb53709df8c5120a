"""The syslog collector: UDP and TCP listeners on loopback (asyncio) that turn messages into
alarm signals for an ``AlarmSink`` (the alarm pipeline).

Bad input never costs good input: an oversized or garbled message is counted per reason and
dropped (a log line per reason at most every ``LOG_EVERY_SECONDS``), a TCP connection that
sends garbage only loses its own garbage, and each sender has a token bucket so a flood from
one host is throttled while the others' messages go through. Signals are handed to the sink in
batches, one per turn of the event loop; a full sink is counted as "overloaded".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ossbss.assurance.flood import TokenBuckets
from ossbss.assurance.objects import ObjectDirectory
from ossbss.assurance.signals import AlarmSignal, AlarmSink
from ossbss.assurance.syslog.framing import FrameDecoder, Oversized
from ossbss.assurance.syslog.mapping import SyslogMapping
from ossbss.assurance.syslog.parser import Garbled, parse
from ossbss.kernel import Clock, Database, Settings
from ossbss.kernel.server_thread import ServerThread, udp_socket
from ossbss.kernel.throttled_log import ThrottledLog

log = logging.getLogger(__name__)
DEFAULT_MAX_MESSAGE_BYTES = 8192
DEFAULT_RATE_PER_SOURCE = 2000.0  # messages per second a sender may keep up
DEFAULT_BURST_PER_SOURCE = 5000  # and how many it may send at once
DEFAULT_DIRECTORY_REFRESH_SECONDS = 60.0
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
MAX_DATAGRAM = 65535


@dataclass(frozen=True)
class SyslogStatus:
    received: int
    signals: int  # raises and clears handed to the sink
    ignored: int  # parsed, but neither a rule nor the unmatched floor made an alarm of them
    dropped: dict[str, int]  # oversized, garbled:<reason>, throttled, overloaded
    connections: int


class SyslogCollector:
    """UDP and TCP syslog on ``host`` (port 0 picks a free one: read ``udp_port`` and
    ``tcp_port`` after ``start``; None turns a transport off)."""

    def __init__(
        self,
        *,
        sink: AlarmSink,
        mapping: SyslogMapping,
        directory: Callable[[], ObjectDirectory],
        clock: Clock,
        host: str = "127.0.0.1",
        udp_port: int | None = 0,
        tcp_port: int | None = 0,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        rate_per_source: float = DEFAULT_RATE_PER_SOURCE,
        burst_per_source: int = DEFAULT_BURST_PER_SOURCE,
        directory_refresh_seconds: float = DEFAULT_DIRECTORY_REFRESH_SECONDS,
    ) -> None:
        self._sink = sink
        self._mapping = mapping
        self._load_directory = directory
        self._directory = ObjectDirectory(())
        self._clock = clock
        self.host = host
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self._max = max_message_bytes
        self._buckets = TokenBuckets(rate_per_source, burst_per_source)
        self._refresh_every = directory_refresh_seconds
        self._log = ThrottledLog(log)
        self._received = 0
        self._signals = 0
        self._ignored = 0
        self._dropped: Counter[str] = Counter()
        self._batch: list[AlarmSignal] = []
        self._flush_scheduled = False
        self._connections: set[asyncio.StreamWriter] = set()
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._directory = await asyncio.to_thread(self._load_directory)
        if self.udp_port is not None:
            sock = udp_socket(self.host, self.udp_port, receive_buffer_bytes=RECEIVE_BUFFER_BYTES)
            transport, _ = await self._loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self, sock), sock=sock
            )
            self._udp = transport
            self.udp_port = transport.get_extra_info("sockname")[1]
        if self.tcp_port is not None:
            self._tcp = await asyncio.start_server(
                self._serve_connection, self.host, self.tcp_port, limit=self._max * 2
            )
            self.tcp_port = self._tcp.sockets[0].getsockname()[1]
        if self._refresh_every > 0:
            self._refresher = asyncio.create_task(self._refresh_directory())
        log.info("syslog on %s udp %s tcp %s", self.host, self.udp_port, self.tcp_port)

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._connections):
                writer.close()
            await self._tcp.wait_closed()
        self._flush()

    def status(self) -> SyslogStatus:
        return SyslogStatus(
            received=self._received,
            signals=self._signals,
            ignored=self._ignored,
            dropped=dict(self._dropped),
            connections=len(self._connections),
        )

    async def _refresh_directory(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_every)
            try:
                self._directory = await asyncio.to_thread(self._load_directory)
            except Exception as exc:  # keep the old directory; try again next time
                self._log.warning("directory", "syslog: object directory not refreshed: %s", exc)

    # -- receiving ---------------------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        sender = str(peer[0]) if peer else "unknown"
        decoder = FrameDecoder(self._max)
        self._connections.add(writer)
        try:
            while data := await reader.read(65536):
                for item in decoder.feed(data):
                    if isinstance(item, Oversized):
                        self._received += 1
                        self._drop("oversized", f"{item.size} bytes over tcp from {sender}")
                    else:
                        self.receive(item.data, sender)
        except (ConnectionError, OSError) as exc:
            self._log.warning("connection", "syslog: tcp connection from %s: %s", sender, exc)
        finally:
            self._connections.discard(writer)
            writer.close()

    def receive(self, data: bytes, sender: str) -> None:
        """One framed message from ``sender`` (its IP address)."""
        self._received += 1
        if len(data) > self._max:
            self._drop("oversized", f"{len(data)} bytes from {sender}")
            return
        now = self._clock.now()
        try:
            message = parse(data, received_at=now)
        except Garbled as exc:
            self._drop(f"garbled:{exc.reason}", f"{exc.detail} from {sender}: {data[:60]!r}")
            return
        # A share per device: per sender address and HOSTNAME, so the hosts behind one relay
        # (rsyslog forwarding for many) do not share a single bucket.
        source = f"{sender}/{message.hostname or ''}"
        if not self._buckets.allow(source):
            self._drop("throttled", f"{source} sends faster than its share")
            return
        signal = self._mapping.signal(
            message, sender=sender, directory=self._directory, received_at=now
        )
        if signal is None:
            self._ignored += 1
            return
        self._batch.append(signal)
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._batch = self._batch, []
        if not batch:
            return
        if self._sink.submit(batch):
            self._signals += len(batch)
        else:
            self._dropped["overloaded"] += len(batch)
            self._log.warning(
                "overloaded", "syslog: the alarm pipeline is full; %d dropped", len(batch)
            )

    def _drop(self, reason: str, detail: str) -> None:
        self._dropped[reason] += 1
        self._log.warning(reason, "syslog message dropped (%s): %s", reason, detail)


class _UdpProtocol(asyncio.DatagramProtocol):
    _DRAIN = 500  # datagrams read per wake-up at most (then the loop serves TCP again)

    def __init__(self, collector: SyslogCollector, sock: socket.socket) -> None:
        self._collector = collector
        self._socket = sock

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self._collector.receive(data, str(addr[0]))
        # asyncio reads one datagram per turn of the loop; a burst waiting in the kernel is
        # read in one go instead (far fewer polls per message, so fewer overflow drops)
        for _ in range(self._DRAIN):
            try:
                data, addr = self._socket.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.error_received(exc)
                return
            self._collector.receive(data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        log.debug("syslog udp socket error: %s", exc)


def directory_loader(database: Database) -> Callable[[], ObjectDirectory]:
    """The inventory's object directory, read fresh at each call (the collector refreshes)."""

    def load() -> ObjectDirectory:
        with database.unit_of_work(write=False) as session:
            return ObjectDirectory.load(session)

    return load


class SyslogThread(ServerThread[SyslogCollector]):
    """The collector on an event loop of its own thread (beside ``ossbss serve``)."""

    def __init__(self, collector: SyslogCollector) -> None:
        super().__init__(collector, name="syslog", what="the syslog collector")
        self.collector = collector


def collector_from_settings(
    settings: Settings, *, sink: AlarmSink, clock: Clock, database: Database
) -> SyslogCollector:
    """The collector ``ossbss serve`` runs (OSSBSS_SYSLOG_*)."""
    return SyslogCollector(
        sink=sink,
        mapping=SyslogMapping.load(settings.syslog_mapping),
        directory=directory_loader(database),
        clock=clock,
        host=settings.syslog_host,
        udp_port=settings.syslog_udp_port if settings.syslog_udp_port >= 0 else None,
        tcp_port=settings.syslog_tcp_port if settings.syslog_tcp_port >= 0 else None,
        max_message_bytes=settings.syslog_max_message_bytes,
        rate_per_source=settings.syslog_rate_per_source,
        burst_per_source=settings.syslog_burst_per_source,
    )
