"""What other rooms may ask of inventory: services, resources, topology (keyword-only; the
caller owns the transaction)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss import tmf
from ossbss.inventory import domain, repository
from ossbss.inventory.resources import RESOURCE, SERVICE
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.tmf import Document


def create_service(
    session: Session, *, document: dict[str, Any], now: datetime, service_id: str | None = None
) -> Document:
    """A TMF638 service, with the same rules and hub events as ``POST /service``.
    ``service_id`` chooses its id (a caller that allocated resources for it already)."""
    return tmf.create_resource(
        session, resource=SERVICE, payload=document, now=now, resource_id=service_id
    )


def update_service(
    session: Session, *, service_id: str, changes: dict[str, Any], now: datetime
) -> Document:
    """A merge patch on a service, with the same rules and hub events as ``PATCH``."""
    return tmf.patch_resource(
        session, resource=SERVICE, resource_id=service_id, patch=changes, now=now
    )


def get_service(session: Session, *, service_id: str) -> Document:
    return tmf.get_resource(session, resource=SERVICE, resource_id=service_id)


def get_resource(session: Session, *, resource_id: str) -> Document:
    """The TMF639 resource (NotFound if there is none)."""
    return tmf.get_resource(session, resource=RESOURCE, resource_id=resource_id)


# --- topology ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Port:
    id: str
    device_id: str
    name: str
    role: str | None


def ports_of(session: Session, *, device_id: str) -> list[Port]:
    """The device's ports, in the order they were recorded."""
    _device(session, device_id)
    return [
        Port(
            id=port_id,
            device_id=device_id,
            name=str(domain.characteristic(body, "name")),
            role=domain.characteristic(body, "role"),
        )
        for port_id, body in repository.children(session, device_id, "port")
    ]


def neighbours(session: Session, *, device_id: str) -> list[str]:
    """Ids of the devices one link away from ``device_id``."""
    _device(session, device_id)
    return _neighbours(session, [device_id]).get(device_id, [])


def path(session: Session, *, from_device: str, to_device: str) -> list[str]:
    """The device ids of a shortest path over links, both ends included ([] if none)."""
    _device(session, from_device, field="from_device")
    _device(session, to_device, field="to_device")
    previous: dict[str, str | None] = {from_device: None}
    frontier = [from_device]
    while frontier and to_device not in previous:
        # Breadth first, one query round per hop for the whole frontier.
        found = _neighbours(session, frontier)
        next_frontier = []
        for device in frontier:
            for neighbour in found.get(device, []):
                if neighbour not in previous:
                    previous[neighbour] = device
                    next_frontier.append(neighbour)
        frontier = next_frontier
    if to_device not in previous:
        return []
    route: deque[str] = deque()
    step: str | None = to_device
    while step is not None:
        route.appendleft(step)
        step = previous[step]
    return list(route)


def _neighbours(session: Session, devices: list[str]) -> dict[str, list[str]]:
    port_device = {port: device for device, port in repository.child_ids(session, devices, "port")}
    links = repository.links_at(session, list(port_device))
    far_ports = [end for _, a, b in links for end in (a, b) if end not in port_device]
    port_device.update(repository.parents_of(session, far_ports))
    result: dict[str, list[str]] = {}
    for _, end_a, end_b in links:
        for near, far in ((end_a, end_b), (end_b, end_a)):
            here, there = port_device.get(near), port_device.get(far)
            if here in devices and there is not None and there != here:
                listed = result.setdefault(here, [])
                if there not in listed:
                    listed.append(there)
    return result


def _device(session: Session, device_id: str, *, field: str = "device_id") -> None:
    kinds = repository.kinds_of(session, [device_id])
    if device_id not in kinds:
        raise NotFound(f"No device with id {device_id}", field=field)
    if kinds[device_id] != "device":
        raise InvalidInput("Not a device", field=field, detail=f"{device_id} is not a Device")
