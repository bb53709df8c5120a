"""The network as a graph for correlation: devices, the links between their ports, the core;
and set-based reads of what a set of devices holds (ports, the links at them, containers).

A few queries whatever the size; the graph rules themselves are pure (``inventory.reach``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, any_, cast, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from ossbss.inventory import domain
from ossbss.inventory.models import InventoryResource as R
from ossbss.inventory.reach import Topology, TopologyLink, build_topology

# Keeps IN lists well below SQLite's bound-parameter limit.
_CHUNK = 900


def matching(session: Session, column: Any, ids: Iterable[str]) -> Iterator[ColumnElement[bool]]:
    """Conditions "column is one of ids", one per statement to run: a single ``= ANY(array)``
    on PostgreSQL (one parameter, however many ids), IN lists of 900 on SQLite (below its
    bound-parameter limit)."""
    items = list(dict.fromkeys(ids))
    if not items:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield column == any_(cast(items, ARRAY(String)))
        return
    for start in range(0, len(items), _CHUNK):
        yield column.in_(items[start : start + _CHUNK])


def network_topology(session: Session) -> Topology:
    """Every device, every link whose two ends are ports of devices, and the core (devices
    with characteristic ``role`` = ``core``; see ``reach.build_topology`` without any)."""
    end_a, end_b = aliased(R), aliased(R)
    rows = session.execute(
        select(R.id, R.end_a, end_a.parent_id, R.end_b, end_b.parent_id)
        .join(end_a, end_a.id == R.end_a)
        .join(end_b, end_b.id == R.end_b)
        .where(R.kind == "link", end_a.kind == "port", end_b.kind == "port")
        .order_by(R.pk)
    )
    links = [
        TopologyLink(
            id=row[0], port_a=str(row[1]), device_a=row[2], port_b=str(row[3]), device_b=row[4]
        )
        for row in rows
        if row[2] is not None and row[4] is not None
    ]
    devices: list[str] = []
    roles: dict[str, str | None] = {}
    for device_id, body in session.execute(
        select(R.id, R.body).where(R.kind == "device").order_by(R.pk)
    ):
        devices.append(device_id)
        role = domain.characteristic(body, "role")
        roles[device_id] = str(role) if role is not None else None
    access_ports = None
    if "core" not in roles.values():
        access_ports = _access_port_counts(session)
    return build_topology(devices=devices, links=links, roles=roles, access_ports=access_ports)


def _access_port_counts(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for parent_id, body in session.execute(select(R.parent_id, R.body).where(R.kind == "port")):
        if parent_id is not None and domain.characteristic(body, "role") == "access":
            counts[parent_id] = counts.get(parent_id, 0) + 1
    return counts


def ports_of_devices(session: Session, device_ids: Collection[str]) -> dict[str, list[str]]:
    """device id -> its port ids (recorded order), for many devices at once."""
    found: dict[str, list[str]] = {device: [] for device in device_ids}
    for condition in matching(session, R.parent_id, device_ids):
        rows = session.execute(
            select(R.parent_id, R.id).where(condition, R.kind == "port").order_by(R.pk)
        )
        for parent_id, port_id in rows:
            found[str(parent_id)].append(port_id)
    return found


def containers(session: Session, ids: Sequence[str]) -> dict[str, tuple[str | None, str]]:
    """id -> (kind, parent id) for the ids that have a parent: a port's device, a device's
    site (what a maintenance window on the container covers)."""
    found: dict[str, tuple[str | None, str]] = {}
    for condition in matching(session, R.id, ids):
        rows = session.execute(select(R.id, R.kind, R.parent_id).where(condition))
        for resource_id, kind, parent_id in rows:
            if parent_id is not None:
                found[resource_id] = (kind, str(parent_id))
    return found


def link_ends(session: Session, port_ids: Collection[str]) -> set[str]:
    """The ports among ``port_ids`` that end a link."""
    found: set[str] = set()
    wanted = set(port_ids)
    for column in (R.end_a, R.end_b):
        for condition in matching(session, column, wanted):
            found.update(
                str(end)
                for end in session.scalars(select(column).where(condition, R.kind == "link"))
            )
    return found & wanted


def link_end_ports(session: Session, link_ids: Collection[str]) -> dict[str, tuple[str, str]]:
    """link id -> its two end ports, for the ids that are links."""
    found: dict[str, tuple[str, str]] = {}
    for condition in matching(session, R.id, link_ids):
        rows = session.execute(select(R.id, R.end_a, R.end_b).where(condition, R.kind == "link"))
        for link_id, end_a, end_b in rows:
            if end_a is not None and end_b is not None:
                found[link_id] = (str(end_a), str(end_b))
    return found
