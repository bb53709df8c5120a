"""The demo network, alive: simulated SNMP agents answer for the demo's devices (the poller reads
their IF-MIB counters, some ports run hot enough to cross thresholds) and a fault script plays
the network's troubles through the real collectors — SNMP linkDown/linkUp traps from the
device's own address, syslog lines, and a Prometheus-style ``DeviceDown`` alert posted to the
Alertmanager-compatible endpoint — so the alarm board, root causes, impacted customers,
tickets and KPIs move while you watch.

Used by ``ossbss serve`` when ``OSSBSS_DEMO_LIVE`` is set (``make run`` sets it) and the lab
peers are not running; everything listens and sends on loopback only.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
from pyasn1.codec.ber import encoder
from pysnmp.proto import api

from ossbss import inventory, performance
from ossbss.kernel import Database

log = logging.getLogger(__name__)

LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1"
IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
_V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]


def link_trap(*, up: bool, if_index: int, if_name: str, community: str = "public") -> bytes:
    """An SNMPv2c linkDown/linkUp notification (RFC 2863 varbinds), BER-encoded."""
    pdu = _V2C.SNMPv2TrapPDU()
    _V2C.apiTrapPDU.set_defaults(pdu)
    status = 1 if up else 2
    varbinds = list(_V2C.apiTrapPDU.get_varbinds(pdu))
    varbinds[1] = (varbinds[1][0], _V2C.ObjectIdentifier(LINK_UP if up else LINK_DOWN))
    varbinds += [
        (_V2C.ObjectIdentifier(f"{IF_INDEX}.{if_index}"), _V2C.Integer(if_index)),
        (_V2C.ObjectIdentifier(f"{IF_ADMIN_STATUS}.{if_index}"), _V2C.Integer(1)),
        (_V2C.ObjectIdentifier(f"{IF_OPER_STATUS}.{if_index}"), _V2C.Integer(status)),
        (_V2C.ObjectIdentifier(f"{IF_DESCR}.{if_index}"), _V2C.OctetString(if_name)),
    ]
    _V2C.apiTrapPDU.set_varbinds(pdu, varbinds)
    message = _V2C.Message()
    _V2C.apiMessage.set_defaults(message)
    _V2C.apiMessage.set_community(message, community)
    _V2C.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def syslog_line(*, host: str, app: str, text: str, severity: int, at: datetime) -> bytes:
    """An RFC 5424 message from facility local7."""
    stamp = at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"<{23 * 8 + severity}>1 {stamp} {host} {app} - - - {text}".encode()


@dataclass(frozen=True)
class Collectors:
    """Where the script sends: the trap and syslog listeners and the API (for the alert)."""

    trap: tuple[str, int] | None
    syslog: tuple[str, int] | None
    api_url: str
    api_key: str


@dataclass(frozen=True)
class _Port:
    device: inventory.ManagedDevice
    port: inventory.ManagedPort


class LiveNetwork:
    """Simulated agents plus the fault script, each on a daemon thread; ``stop`` ends both."""

    def __init__(
        self,
        database: Database,
        collectors: Collectors,
        *,
        every_seconds: float = 40.0,
        seed: int | None = None,
    ) -> None:
        self._database = database
        self._collectors = collectors
        self._every = every_seconds
        self._random = random.Random(seed)
        self._stopping = threading.Event()
        self._agents: performance.SimulatorThread | None = None
        self._thread = threading.Thread(target=self._run, name="demo-live", daemon=True)
        self._sockets: dict[str, socket.socket] = {}
        self._http = httpx.Client(timeout=10.0)
        self._devices: list[inventory.ManagedDevice] = []

    def start(self) -> LiveNetwork:
        with self._database.unit_of_work(write=False) as session:
            self._devices = [
                device
                for device in inventory.managed_devices(session)
                if device.management_address and device.characteristics.get("snmpPort")
            ]
        self._agents = performance.SimulatorThread.at_addresses(
            self._devices,
            {
                device.id: (str(device.management_address), int(device.characteristics["snmpPort"]))
                for device in self._devices
            },
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)
        if self._agents is not None:
            self._agents.stop()
        for sender in self._sockets.values():
            sender.close()
        self._http.close()

    # --- the script ---------------------------------------------------------------------------

    def _run(self) -> None:
        scenarios: list[Callable[[float], list[tuple[float, Callable[[], None]]]]] = [
            self._port_flap,
            self._bgp_flap,
            self._port_flap,
            self._device_outage,
        ]
        pending: list[tuple[float, int, Callable[[], None]]] = []
        order = itertools.count()
        next_scenario = time.monotonic() + 5.0
        for scenario in itertools.cycle(scenarios):
            while not self._stopping.is_set():
                now = time.monotonic()
                while pending and pending[0][0] <= now:
                    _, _, action = heapq.heappop(pending)
                    self._safely(action)
                if now >= next_scenario:
                    break
                wait = min([next_scenario, *(p[0] for p in pending[:1])]) - now
                self._stopping.wait(max(0.05, wait))
            if self._stopping.is_set():
                return
            for delay, action in scenario(self._every):
                heapq.heappush(pending, (time.monotonic() + delay, next(order), action))
            next_scenario = time.monotonic() + self._every

    def _safely(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:  # the demo goes on whatever one step does
            log.exception("demo: a live fault step failed")

    def _port_flap(self, every: float) -> list[tuple[float, Callable[[], None]]]:
        """An access port goes down (loss of signal) and comes back."""
        chosen = self._access_port()
        if chosen is None:
            return []
        return [
            (0.0, partial(self._link, chosen, up=False)),
            (every * 1.5, partial(self._link, chosen, up=True)),
        ]

    def _bgp_flap(self, every: float) -> list[tuple[float, Callable[[], None]]]:
        """The core router loses a BGP neighbour for a while (a syslog line each way)."""
        core = self._device(role="core")
        if core is None:
            return []
        neighbour = f"192.0.2.{self._random.randint(10, 250)}"
        return [
            (0.0, lambda: self._syslog(core, f"%BGP-5-ADJCHANGE: neighbor {neighbour} Down", 3)),
            (
                every * 0.9,
                lambda: self._syslog(core, f"%BGP-5-ADJCHANGE: neighbor {neighbour} Up", 5),
            ),
        ]

    def _device_outage(self, every: float) -> list[tuple[float, Callable[[], None]]]:
        """The access device goes dark: its ports' linkDown traps arrive, then the monitoring
        system's DeviceDown alert — correlation makes the device the root cause, groups the
        ports under it and lists the customers it cuts off; a ticket opens. All clear later."""
        device = self._device(role="access")
        if device is None:
            return []
        ports = [_Port(device, port) for port in device.ports if port.role == "access"][:4]
        steps: list[tuple[float, Callable[[], None]]] = [
            (0.0, partial(self._link, chosen, up=False)) for chosen in ports
        ]
        steps.append((1.0, partial(self._alert, device, firing=True)))
        steps.append((every * 2.5, partial(self._alert, device, firing=False)))
        steps += [(every * 2.5 + 1.0, partial(self._link, chosen, up=True)) for chosen in ports]
        return steps

    # --- the senders --------------------------------------------------------------------------

    def _link(self, chosen: _Port, *, up: bool) -> None:
        if_index = chosen.port.if_index or 0
        if self._agents is not None:
            self._agents.set_oper_status(chosen.device.id, if_index, up=up)
        if self._collectors.trap is None:
            return
        community = str(chosen.device.characteristics.get("snmpCommunity") or "public")
        packet = link_trap(up=up, if_index=if_index, if_name=chosen.port.name, community=community)
        self._sender(str(chosen.device.management_address)).sendto(packet, self._collectors.trap)

    def _syslog(self, device: inventory.ManagedDevice, text: str, severity: int) -> None:
        if self._collectors.syslog is None:
            return
        line = syslog_line(
            host=device.name, app="rpd", text=text, severity=severity, at=datetime.now(UTC)
        )
        self._sender(str(device.management_address)).sendto(line, self._collectors.syslog)

    def _alert(self, device: inventory.ManagedDevice, *, firing: bool) -> None:
        now = datetime.now(UTC)
        alert = {
            "labels": {
                "alertname": "DeviceDown",
                "device": device.name,
                "instance": f"{device.management_address}:161",
                "severity": "critical",
                "job": "blackbox-icmp",
            },
            "annotations": {"summary": f"{device.name} does not answer ping"},
            "startsAt": (now - timedelta(seconds=30)).isoformat(),
            "endsAt": (now + timedelta(minutes=5) if firing else now).isoformat(),
            "generatorURL": "http://127.0.0.1:9090/graph",
        }
        url = f"{self._collectors.api_url}/assurance/v1/alertmanager/api/v2/alerts"
        headers = {"Authorization": f"Bearer {self._collectors.api_key}"}
        self._http.post(url, json=[alert], headers=headers).raise_for_status()

    def _sender(self, address: str) -> socket.socket:
        """A UDP socket bound to the device's own loopback address: the collectors see the
        packet come from the device, as on a real network."""
        sender = self._sockets.get(address)
        if sender is None:
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sender.bind((address, 0))
            except OSError:
                sender.bind(("127.0.0.1", 0))
            self._sockets[address] = sender
        return sender

    def _device(self, *, role: str) -> inventory.ManagedDevice | None:
        found = [d for d in self._devices if d.characteristics.get("role") == role]
        return found[0] if found else None

    def _access_port(self) -> _Port | None:
        device = self._device(role="access")
        if device is None:
            return None
        # the first ports carry the demo's fibre customers: a flap there hurts someone
        ports: Sequence[inventory.ManagedPort] = [
            port for port in device.ports if port.role == "access" and port.if_index
        ][:8]
        return _Port(device, self._random.choice(ports)) if ports else None
