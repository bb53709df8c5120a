"""Which inventory resource an alarm is about: a directory of managed devices and their ports
by management address, host name, ifIndex and interface name, built from
``inventory.managed_devices`` and refreshed by its owner (collectors hold one each)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ossbss import inventory


@dataclass(frozen=True, slots=True)
class AlarmedObject:
    id: str
    type: str  # TMF639 @type: Device or Port
    device_id: str
    name: str


class ObjectDirectory:
    """Lookups for collectors (pure once built: no session, safe to share between threads)."""

    def __init__(self, devices: Sequence[inventory.ManagedDevice]) -> None:
        self._by_address: dict[str, inventory.ManagedDevice] = {}
        self._by_name: dict[str, inventory.ManagedDevice] = {}
        self._by_index: dict[tuple[str, int], inventory.ManagedPort] = {}
        self._by_port_name: dict[tuple[str, str], inventory.ManagedPort] = {}
        for device in devices:
            if device.management_address:
                self._by_address[device.management_address] = device
                # "192.0.2.10:830", "[2001:db8::1]:830": traps come from the bare address
                self._by_address.setdefault(_host_of(device.management_address), device)
            self._by_name[device.name.lower()] = device
            # a fully qualified host name also answers to its first label
            self._by_name.setdefault(device.name.lower().split(".")[0], device)
            for port in device.ports:
                if port.if_index is not None:
                    self._by_index[(device.id, port.if_index)] = port
                self._by_port_name[(device.id, port.name.lower())] = port

    @classmethod
    def load(cls, session: Session) -> ObjectDirectory:
        return cls(inventory.managed_devices(session))

    def device(
        self, *, address: str | None = None, host: str | None = None
    ) -> AlarmedObject | None:
        """The device with this management address, else with this host name."""
        found = self._by_address.get(address) if address else None
        if found is None and host:
            lowered = host.lower()
            found = self._by_name.get(lowered) or self._by_name.get(lowered.split(".")[0])
        if found is None:
            return None
        return AlarmedObject(id=found.id, type="Device", device_id=found.id, name=found.name)

    def port(
        self, device: AlarmedObject, *, if_index: int | None = None, if_name: str | None = None
    ) -> AlarmedObject | None:
        """The device's port by ifIndex, else by interface name (case-insensitive)."""
        found = self._by_index.get((device.device_id, if_index)) if if_index is not None else None
        if found is None and if_name:
            found = self._by_port_name.get((device.device_id, if_name.lower()))
        if found is None:
            return None
        return AlarmedObject(id=found.id, type="Port", device_id=device.device_id, name=found.name)


def _host_of(address: str) -> str:
    """The address without a port (a management address may carry the NETCONF port)."""
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    host, colon, port = address.rpartition(":")
    if colon and port.isdigit() and ":" not in host:
        return host
    return address
