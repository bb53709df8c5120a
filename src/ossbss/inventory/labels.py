"""Names for many resources at once (the NOC board shows what each alarm is on)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.inventory.models import InventoryResource as R
from ossbss.inventory.topology import matching


@dataclass(frozen=True, slots=True)
class ResourceLabel:
    id: str
    kind: str | None  # device, port, link, site ...
    name: str
    device_id: str | None  # the device itself, or the device a port is contained in


def resource_labels(session: Session, *, resource_ids: Collection[str]) -> dict[str, ResourceLabel]:
    """Resource id -> its kind, name and device, for the ids that are resources (one query per
    chunk of ids)."""
    found: dict[str, ResourceLabel] = {}
    for condition in matching(session, R.id, resource_ids):
        rows = session.execute(select(R.id, R.kind, R.name, R.parent_id).where(condition))
        for resource_id, kind, name, parent_id in rows:
            device = resource_id if kind == "device" else parent_id if kind == "port" else None
            found[resource_id] = ResourceLabel(
                id=resource_id,
                kind=kind,
                name=str(name or resource_id),
                device_id=str(device) if device else None,
            )
    return found
