"""Maintenance windows: is a resource under planned work at a moment?"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.assurance.models import MaintenanceWindow


def covering(session: Session, *, object_ids: Collection[str], at: datetime) -> bool:
    """True when a window active at ``at`` lists any of ``object_ids`` (callers pass the
    alarmed object and what contains it: a port's device, a device's site)."""
    if not object_ids:
        return False
    wanted = set(object_ids)
    windows = session.scalars(
        select(MaintenanceWindow.resource_ids).where(
            MaintenanceWindow.starts_at <= at, MaintenanceWindow.ends_at > at
        )
    )
    return any(wanted.intersection(ids or ()) for ids in windows)
