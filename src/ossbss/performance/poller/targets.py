"""Polling targets from the managed inventory: each device's management address and SNMP
characteristics (snmpPort, default 161; snmpCommunity, default "public"; snmpVersion, only v2c
is polled; snmpCounterBits 32 for agents without the 64-bit ifXTable counters), and its ports
bound by their ifIndex characteristic."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ossbss.inventory import ManagedDevice
from ossbss.performance.poller.ifmib import DeviceTarget
from ossbss.performance.poller.rules import PortBinding

DEFAULT_SNMP_PORT = 161
DEFAULT_COMMUNITY = "public"
V2C = frozenset({"", "2", "2c", "v2c", "v2"})


@dataclass(frozen=True)
class Targets:
    targets: list[DeviceTarget]
    skipped: dict[str, str] = field(default_factory=dict)  # device id -> why it is not polled


def targets_from(
    devices: Sequence[ManagedDevice],
    *,
    addresses: Mapping[str, tuple[str, int]] | None = None,
) -> Targets:
    """``addresses`` overrides where a device is reached (device id -> host, port): the demo
    points devices at simulated agents that way."""
    targets: list[DeviceTarget] = []
    skipped: dict[str, str] = {}
    for device in devices:
        traits = device.characteristics
        version = str(traits.get("snmpVersion") or "").lower()
        if version not in V2C:
            skipped[device.id] = f"SNMP version {version} is not polled (v2c only)"
            continue
        address = (addresses or {}).get(device.id)
        if address is None:
            if not device.management_address:
                skipped[device.id] = "no management address"
                continue
            host = _ip(device.management_address)
            if host is None:
                skipped[device.id] = f"management address {device.management_address} unresolved"
                continue
            port = _int(traits.get("snmpPort"), DEFAULT_SNMP_PORT)
            address = (host, port)
        bindings = {
            port.if_index: PortBinding(port.id, port.speed_mbps)
            for port in device.ports
            if port.if_index is not None and port.if_index > 0
        }
        targets.append(
            DeviceTarget(
                device_id=device.id,
                name=device.name,
                address=address,
                community=str(traits.get("snmpCommunity") or DEFAULT_COMMUNITY).encode(),
                bindings=bindings,
                counter_bits=32 if _int(traits.get("snmpCounterBits"), 64) == 32 else 64,
            )
        )
    return Targets(targets, skipped)


def _ip(address: str) -> str | None:
    host = address.split("/", 1)[0].strip()
    if host.count(":") == 1:  # "192.0.2.10:830": the NETCONF port rides along
        host = host.split(":", 1)[0]
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    try:
        return socket.gethostbyname(host)
    except OSError:
        return None


def _int(value: object, default: int) -> int:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return int(str(value))
    except ValueError:
        return default
