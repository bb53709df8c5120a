"""The managed view of the network for assurance and performance: each device with its
management address and characteristics, and its ports with their ifIndex and speed.

Read in two queries whatever the size; callers cache it (alarm resolution, polling targets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.inventory import domain
from ossbss.inventory.models import InventoryResource as R


@dataclass(frozen=True, slots=True)
class ManagedPort:
    id: str
    device_id: str
    name: str
    role: str | None
    if_index: int | None  # characteristic ``ifIndex`` (SNMP IF-MIB)
    speed_mbps: int | None  # characteristic ``speedMbps``


@dataclass(frozen=True, slots=True)
class ManagedDevice:
    id: str
    name: str
    management_address: str | None  # characteristic ``managementAddress``
    characteristics: dict[str, Any]  # every characteristic (snmpCommunity, snmpPort, role ...)
    ports: tuple[ManagedPort, ...]


def managed_devices(session: Session) -> list[ManagedDevice]:
    """Every device with its ports, in the order they were recorded."""
    ports: dict[str, list[ManagedPort]] = {}
    rows = session.execute(select(R.id, R.parent_id, R.body).where(R.kind == "port").order_by(R.pk))
    for row in rows:
        device_id = str(row.parent_id)
        ports.setdefault(device_id, []).append(
            ManagedPort(
                id=row.id,
                device_id=device_id,
                name=str(domain.characteristic(row.body, "name") or row.id),
                role=domain.characteristic(row.body, "role"),
                if_index=_integer(domain.characteristic(row.body, "ifIndex")),
                speed_mbps=_integer(domain.characteristic(row.body, "speedMbps")),
            )
        )
    devices = []
    device_rows = select(R.id, R.name, R.body).where(R.kind == "device").order_by(R.pk)
    for row in session.execute(device_rows):
        characteristics = {
            str(entry.get("name")): entry.get("value")
            for entry in row.body.get("resourceCharacteristic") or ()
            if isinstance(entry, dict)
        }
        address = characteristics.get("managementAddress")
        devices.append(
            ManagedDevice(
                id=row.id,
                name=str(row.name or row.id),
                management_address=str(address) if address else None,
                characteristics=characteristics,
                ports=tuple(ports.get(row.id, ())),
            )
        )
    return devices


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
