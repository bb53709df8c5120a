"""Simulated SNMP v2c agents: many in one asyncio process, each on its own 127.0.0.1 UDP port
(so a poller tells them apart by address, as it does real devices), each answering GET,
GETNEXT and GETBULK for a system group and an IF-MIB ifTable/ifXTable of N ports.

Counters are a closed-form integral of a diurnal-ish load (a sine over ``period_seconds``), so
they grow smoothly and monotonically at any poll rate; some ports run near saturation (so
thresholds and forecasts have something to show), Counter32 columns wrap as on a real agent,
and Counter64 columns can start near 2^64 to exercise the 64-bit wrap. ``set_oper_status``
takes a port down (its counters freeze) for fault demos; ``restart`` resets sysUpTime and the
counters like an agent reboot. A wrong community or a malformed packet gets no answer.

Used by the benchmark (``simulator.main`` in another process), the
tests and the demo (``SimulatorThread.for_devices(...)`` when the lab peers are absent).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import ipaddress
import json
import math
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from ossbss.inventory import ManagedDevice
from ossbss.performance.poller.ber import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    GET,
    GET_BULK,
    GET_NEXT,
    INTEGER,
    NO_SUCH_INSTANCE,
    OCTET_STRING,
    RESPONSE,
    TIMETICKS,
    VERSION_1,
    BerError,
    Message,
    Oid,
    Value,
    VarBind,
    decode_message,
    encode_message,
)

SYSTEM: Oid = (1, 3, 6, 1, 2, 1, 1)
IF_TABLE_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IF_X_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
IF_NUMBER: Oid = (1, 3, 6, 1, 2, 1, 2, 1, 0)
UP, DOWN = 1, 2
MAX_BULK_VARBINDS = 1000  # keeps an answer well under the UDP datagram limit
_TWO_PI = 2 * math.pi

# What each served OID is: (kind, ifIndex or 0); values computed when asked.
_Entry = tuple[str, int]


@dataclass
class SimulatedPort:
    if_index: int
    name: str
    speed_mbps: int = 1000
    base_load: float = 0.3  # mean share of the line rate
    amplitude: float = 0.5  # the diurnal swing, a share of base_load (< 1: never negative)
    phase: float = 0.0  # where in the day this port starts, 0..1
    out_share: float = 0.6  # outbound traffic as a share of inbound
    oper_up: bool = True
    _frozen_at: float | None = field(default=None, repr=False)
    _paused: float = field(default=0.0, repr=False)  # seconds spent down (no traffic)

    def traffic_seconds(self, elapsed: float) -> float:
        """Seconds of traffic since the agent started (time down does not count)."""
        if self._frozen_at is not None:
            return self._frozen_at - self._paused
        return elapsed - self._paused

    def octets(self, elapsed: float, period: float) -> tuple[int, int]:
        """(in, out) octets counted over ``elapsed`` agent seconds."""
        t = self.traffic_seconds(elapsed)
        angle = _TWO_PI * (t / period + self.phase)
        swing = math.cos(_TWO_PI * self.phase) - math.cos(angle)
        integral = self.base_load * (t + self.amplitude * period / _TWO_PI * swing)
        bytes_per_second = self.speed_mbps * 125_000
        inbound = bytes_per_second * integral
        return int(inbound), int(inbound * self.out_share)


class SimulatedAgent:
    """One agent's MIB and behaviour (no socket: ``answer`` maps a request to a response)."""

    def __init__(
        self,
        name: str,
        ports: Sequence[SimulatedPort],
        *,
        community: bytes = b"public",
        period_seconds: float = 86_400.0,
        counter64_offset: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.community = community
        self.period = period_seconds
        self.counter64_offset = counter64_offset
        self._clock = clock
        self._started = clock()
        self.ports = {port.if_index: port for port in ports}
        self.answered = 0
        self.wrong_community = 0
        self.malformed = 0
        self._entries: dict[Oid, _Entry] = {
            (*SYSTEM, 1, 0): ("sysDescr", 0),
            (*SYSTEM, 3, 0): ("sysUpTime", 0),
            (*SYSTEM, 5, 0): ("sysName", 0),
            IF_NUMBER: ("ifNumber", 0),
        }
        for index in self.ports:
            for column, kind in (
                (1, "ifIndex"),
                (2, "ifDescr"),
                (5, "ifSpeed"),
                (7, "ifAdminStatus"),
                (8, "ifOperStatus"),
                (10, "ifInOctets"),
                (16, "ifOutOctets"),
            ):
                self._entries[(*IF_TABLE_ENTRY, column, index)] = (kind, index)
            for column, kind in (
                (1, "ifName"),
                (6, "ifHCInOctets"),
                (10, "ifHCOutOctets"),
                (15, "ifHighSpeed"),
            ):
                self._entries[(*IF_X_ENTRY, column, index)] = (kind, index)
        self._order: list[Oid] = sorted(self._entries)

    # -- behaviour the demo and the tests drive ------------------------------------------------

    def set_oper_status(self, if_index: int, up: bool) -> None:
        port = self.ports[if_index]
        if port.oper_up == up:
            return
        elapsed = self._clock() - self._started
        if up:
            assert port._frozen_at is not None
            port._paused += elapsed - port._frozen_at
            port._frozen_at = None
        else:
            port._frozen_at = elapsed
        port.oper_up = up

    def restart(self) -> None:
        """Like a reboot: sysUpTime and every counter start again from zero."""
        self._started = self._clock()
        for port in self.ports.values():
            port._paused = 0.0
            port._frozen_at = 0.0 if not port.oper_up else None

    def uptime_ticks(self) -> int:
        return int((self._clock() - self._started) * 100) % 2**32

    # -- the protocol ------------------------------------------------------------------------

    def answer(self, data: bytes) -> bytes | None:
        try:
            request = decode_message(data)
        except BerError:
            self.malformed += 1
            return None
        if request.community != self.community:
            self.wrong_community += 1
            return None
        if request.pdu_type not in (GET, GET_NEXT, GET_BULK) or (
            request.pdu_type == GET_BULK and request.version == VERSION_1
        ):
            self.malformed += 1
            return None
        elapsed = self._clock() - self._started
        octets: dict[int, tuple[int, int]] = {}
        if request.pdu_type == GET:
            varbinds = [self._exact(vb.oid, elapsed, octets) for vb in request.varbinds]
        elif request.pdu_type == GET_NEXT:
            varbinds = [self._next(vb.oid, elapsed, octets) for vb in request.varbinds]
        else:
            varbinds = self._bulk(request, elapsed, octets)
        self.answered += 1
        return encode_message(
            Message(
                community=request.community,
                pdu_type=RESPONSE,
                request_id=request.request_id,
                varbinds=tuple(varbinds),
                version=request.version,
            )
        )

    def _bulk(
        self, request: Message, elapsed: float, octets: dict[int, tuple[int, int]]
    ) -> list[VarBind]:
        non_repeaters = max(0, min(request.error_status, len(request.varbinds)))
        repetitions = max(0, request.error_index)
        varbinds = [self._next(vb.oid, elapsed, octets) for vb in request.varbinds[:non_repeaters]]
        cursors = [vb.oid for vb in request.varbinds[non_repeaters:]]
        if not cursors:
            return varbinds
        repetitions = min(repetitions, MAX_BULK_VARBINDS // len(cursors))
        for _ in range(repetitions):
            row = [self._next(oid, elapsed, octets) for oid in cursors]
            varbinds.extend(row)
            if all(vb.tag == END_OF_MIB_VIEW for vb in row):
                break
            cursors = [vb.oid for vb in row]
        return varbinds

    def _exact(self, oid: Oid, elapsed: float, octets: dict[int, tuple[int, int]]) -> VarBind:
        entry = self._entries.get(oid)
        if entry is None:
            return VarBind(oid, NO_SUCH_INSTANCE, None)
        tag, value = self._value(entry, elapsed, octets)
        return VarBind(oid, tag, value)

    def _next(self, oid: Oid, elapsed: float, octets: dict[int, tuple[int, int]]) -> VarBind:
        at = bisect.bisect_right(self._order, oid)
        if at >= len(self._order):
            return VarBind(oid, END_OF_MIB_VIEW, None)
        found = self._order[at]
        tag, value = self._value(self._entries[found], elapsed, octets)
        return VarBind(found, tag, value)

    def _value(
        self, entry: _Entry, elapsed: float, octets: dict[int, tuple[int, int]]
    ) -> tuple[int, Value]:
        kind, index = entry
        if kind in ("ifHCInOctets", "ifHCOutOctets", "ifInOctets", "ifOutOctets"):
            counts = octets.get(index)
            if counts is None:
                counts = octets[index] = self.ports[index].octets(elapsed, self.period)
            count = counts[0] if "In" in kind else counts[1]
            if kind.startswith("ifHC"):
                return COUNTER64, (count + self.counter64_offset) % 2**64
            return COUNTER32, count % 2**32
        port = self.ports.get(index)
        if kind == "ifOperStatus" and port is not None:
            return INTEGER, UP if port.oper_up else DOWN
        if kind == "ifHighSpeed" and port is not None:
            return GAUGE32, port.speed_mbps
        if kind == "ifSpeed" and port is not None:
            return GAUGE32, min(port.speed_mbps * 1_000_000, 2**32 - 1)
        if kind in ("ifDescr", "ifName") and port is not None:
            return OCTET_STRING, port.name.encode()
        if kind == "ifIndex":
            return INTEGER, index
        if kind == "ifAdminStatus":
            return INTEGER, UP
        if kind == "sysUpTime":
            return TIMETICKS, int(elapsed * 100) % 2**32
        if kind == "sysName":
            return OCTET_STRING, self.name.encode()
        if kind == "ifNumber":
            return INTEGER, len(self.ports)
        return OCTET_STRING, f"ossbss simulated agent {self.name}".encode()


def default_ports(count: int, *, seed: str = "", speed_mbps: int = 1000) -> list[SimulatedPort]:
    """``count`` ports: every eighth near saturation (85-95 %), the others 5-50 % with a swing."""
    rng = random.Random(seed)
    ports = []
    for if_index in range(1, count + 1):
        hot = if_index % 8 == 0
        ports.append(
            SimulatedPort(
                if_index=if_index,
                name=f"ge-0/0/{if_index - 1}",
                speed_mbps=speed_mbps,
                base_load=0.9 if hot else rng.uniform(0.05, 0.5),
                amplitude=0.05 if hot else rng.uniform(0.2, 0.8),
                phase=rng.random(),
                out_share=rng.uniform(0.3, 0.9),
            )
        )
    return ports


def agent_for_device(device: ManagedDevice, **options: Any) -> SimulatedAgent:
    """An agent shaped like an inventory device: its ports' ifIndex, name and speed."""
    rng = random.Random(device.id)
    ports = [
        SimulatedPort(
            if_index=port.if_index,
            name=port.name,
            speed_mbps=port.speed_mbps or 1000,
            base_load=0.9 if position % 8 == 7 else rng.uniform(0.05, 0.5),
            amplitude=0.05 if position % 8 == 7 else rng.uniform(0.2, 0.8),
            phase=rng.random(),
            out_share=rng.uniform(0.3, 0.9),
        )
        for position, port in enumerate(device.ports)
        if port.if_index is not None and port.if_index > 0
    ]
    community = str(device.characteristics.get("snmpCommunity") or "public").encode()
    return SimulatedAgent(device.name, ports, community=community, **options)


def _loopback_bind(device: ManagedDevice) -> tuple[str, int] | None:
    host = (device.management_address or "").split("/", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    port = device.characteristics.get("snmpPort")
    try:
        if ipaddress.IPv4Address(host).is_loopback and port:
            return host, int(str(port))
    except ValueError:
        return None
    return None


# -- serving ---------------------------------------------------------------------------------


class _AgentProtocol(asyncio.DatagramProtocol):
    def __init__(self, agent: SimulatedAgent) -> None:
        self.agent = agent
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        response = self.agent.answer(data)
        if response is not None and self.transport is not None:
            self.transport.sendto(response, addr)


class Simulator:
    """Serves agents on the running loop: ``await start(agents)`` -> their addresses."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.agents: list[SimulatedAgent] = []
        self._transports: list[asyncio.DatagramTransport] = []

    async def start(
        self,
        agents: Sequence[SimulatedAgent],
        binds: Sequence[tuple[str, int] | None] | None = None,
    ) -> list[tuple[str, int]]:
        """Serve each agent on its ``binds`` entry (host, port), or on a free port of
        ``host`` when there is none; returns where each one listens."""
        loop = asyncio.get_running_loop()
        addresses = []
        for position, agent in enumerate(agents):
            bind = binds[position] if binds is not None else None
            transport, _ = await loop.create_datagram_endpoint(
                lambda agent=agent: _AgentProtocol(agent),  # type: ignore[misc]
                local_addr=bind or (self.host, 0),
            )
            self._transports.append(transport)
            self.agents.append(agent)
            sockname = transport.get_extra_info("sockname")
            addresses.append((str(sockname[0]), int(sockname[1])))
        return addresses

    def stop(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports.clear()


class SimulatorThread:
    """Agents on a thread of their own, for the demo and synchronous tests."""

    def __init__(
        self,
        agents: Sequence[SimulatedAgent],
        host: str = "127.0.0.1",
        binds: Sequence[tuple[str, int] | None] | None = None,
    ) -> None:
        self.agents = list(agents)
        self._binds = binds
        self._error: OSError | None = None
        self._by_device: dict[str, SimulatedAgent] = {}
        self.addresses: list[tuple[str, int]] = []
        self._simulator = Simulator(host)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="snmp-simulator", daemon=True)

    @classmethod
    def for_devices(
        cls, devices: Sequence[ManagedDevice], **options: Any
    ) -> tuple[SimulatorThread, dict[str, tuple[str, int]]]:
        """One agent per device with ports, listening where the inventory says the device's
        agent is (management address and snmpPort) when that is a loopback address, else on
        a free port of 127.0.0.1. Returns the thread and device id -> address (pass it to the
        poller as address overrides; equal to the inventory's for loopback devices)."""
        chosen = [device for device in devices if any(p.if_index for p in device.ports)]
        binds = [_loopback_bind(device) for device in chosen]
        agents = [agent_for_device(device, **options) for device in chosen]
        thread = cls(agents, binds=binds)
        thread._by_device = dict(zip((d.id for d in chosen), agents, strict=True))
        thread.start()
        return thread, {
            device.id: address for device, address in zip(chosen, thread.addresses, strict=True)
        }

    @classmethod
    def at_addresses(
        cls,
        devices: Sequence[ManagedDevice],
        addresses: Mapping[str, tuple[str, int]],
        **options: Any,
    ) -> SimulatorThread:
        """One agent per device, each listening where ``addresses`` (device id -> host, port)
        says: the demo's devices answer on their own management address and SNMP port."""
        chosen = [device for device in devices if device.id in addresses]
        thread = cls(
            [agent_for_device(device, **options) for device in chosen],
            binds=[addresses[device.id] for device in chosen],
        )
        thread._by_device = dict(zip((d.id for d in chosen), thread.agents, strict=True))
        return thread.start()

    def set_oper_status(self, device_id: str, if_index: int, *, up: bool) -> None:
        """Take a simulated device's port down (its counters freeze) or bring it back."""
        agent = self._by_device.get(device_id)
        if agent is not None and if_index in agent.ports:
            self.call(lambda: agent.set_oper_status(if_index, up))

    def start(self, timeout: float = 10.0) -> SimulatorThread:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the SNMP simulator did not start")
        if self._error is not None:
            raise RuntimeError(f"the SNMP simulator failed: {self._error}")
        return self

    def call(self, action: Callable[[], object]) -> None:
        """Run ``action`` (e.g. ``lambda: agent.set_oper_status(3, up=False)``) on the loop."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(action)

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            try:
                self.addresses = await self._simulator.start(self.agents, self._binds)
            except OSError as exc:  # an address in use, a host not on this machine
                self._error = exc
                self._simulator.stop()
                self._ready.set()
                return
            self._ready.set()
            try:
                await self._stopping.wait()
            finally:
                self._simulator.stop()

        asyncio.run(main())


def main(argv: Sequence[str] | None = None) -> None:
    """Serve N agents until SIGTERM/SIGINT; print their addresses as one JSON line first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--ports", type=int, default=24)
    parser.add_argument("--community", default="public")
    parser.add_argument("--period", type=float, default=86_400.0, help="seconds per 'day'")
    args = parser.parse_args(argv)

    async def serve() -> None:
        agents = [
            SimulatedAgent(
                f"sim-{number}",
                default_ports(args.ports, seed=f"sim-{number}"),
                community=args.community.encode(),
                period_seconds=args.period,
            )
            for number in range(args.agents)
        ]
        simulator = Simulator()
        addresses = await simulator.start(agents)
        sys.stdout.write(json.dumps({"addresses": addresses}) + "\n")
        sys.stdout.flush()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        simulator.stop()
        answered = sum(agent.answered for agent in agents)
        sys.stdout.write(json.dumps({"answered": answered}) + "\n")

    asyncio.run(serve())


if __name__ == "__main__":
    main()
