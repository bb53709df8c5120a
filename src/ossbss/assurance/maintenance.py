"""Maintenance windows: is a resource under planned work at a moment? And managing them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import inventory
from ossbss.assurance.models import MaintenanceWindow
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.ids import new_id
from ossbss.kernel.time import format_datetime, parse_datetime
from ossbss.tmf import exists


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


# --- managing windows (the /assurance/v1/maintenanceWindow API and the CLI) --------------------

BASE_PATH = "/assurance/v1/maintenanceWindow"
_EDITABLE = ("name", "description", "resources", "validFor")


def create_window(
    session: Session, *, payload: Any, now: datetime, author: str | None = None
) -> dict[str, Any]:
    """A window from ``{name, description?, resources: [{id}], validFor: {startDateTime,
    endDateTime}}``: the resources must exist in inventory and the window must end after it
    starts."""
    body = _object(payload)
    fields = _check_window(session, body)
    window = MaintenanceWindow(
        id=new_id(),
        name=fields["name"],
        description=fields.get("description"),
        resource_ids=fields["resource_ids"],
        starts_at=fields["starts_at"],
        ends_at=fields["ends_at"],
        created_by=author,
        created_at=now,
    )
    session.add(window)
    session.flush()
    return render_window(window)


def update_window(
    session: Session, *, window_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    window = _window(session, window_id)
    changes = _object(payload)
    for name in changes:
        if name not in _EDITABLE:
            raise InvalidInput("Attribute not patchable", field=name, detail="unknown or read-only")
    merged = {**render_window(window), **changes}
    fields = _check_window(session, merged)
    window.name = fields["name"]
    window.description = fields.get("description")
    window.resource_ids = fields["resource_ids"]
    window.starts_at, window.ends_at = fields["starts_at"], fields["ends_at"]
    session.flush()
    return render_window(window)


def delete_window(session: Session, *, window_id: str) -> None:
    session.delete(_window(session, window_id))
    session.flush()


def get_window(session: Session, *, window_id: str) -> dict[str, Any]:
    return render_window(_window(session, window_id))


def list_windows(
    session: Session,
    *,
    offset: int = 0,
    limit: int = 100,
    active_at: datetime | None = None,
    resource_id: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Windows by start time; ``active_at`` keeps those covering that moment, ``resource_id``
    those listing that resource (checked in Python: lists are short, windows few)."""
    query = select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at, MaintenanceWindow.pk)
    if active_at is not None:
        query = query.where(
            MaintenanceWindow.starts_at <= active_at, MaintenanceWindow.ends_at > active_at
        )
    windows = [
        window
        for window in session.scalars(query)
        if resource_id is None or resource_id in (window.resource_ids or ())
    ]
    return len(windows), [render_window(w) for w in windows[offset : offset + limit]]


def render_window(window: MaintenanceWindow) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": window.id,
        "href": f"{BASE_PATH}/{window.id}",
        "name": window.name,
        "resources": [{"id": resource_id} for resource_id in window.resource_ids or ()],
        "validFor": {
            "startDateTime": format_datetime(window.starts_at),
            "endDateTime": format_datetime(window.ends_at),
        },
        "createdAt": format_datetime(window.created_at),
    }
    if window.description:
        document["description"] = window.description
    if window.created_by:
        document["createdBy"] = window.created_by
    return document


def _window(session: Session, window_id: str) -> MaintenanceWindow:
    window = (
        None
        if "\x00" in window_id
        else session.scalars(
            select(MaintenanceWindow).where(MaintenanceWindow.id == window_id)
        ).one_or_none()
    )
    if window is None:
        raise NotFound(f"No maintenance window with id {window_id!r}", field="id")
    return window


def _check_window(session: Session, body: Mapping[str, Any]) -> dict[str, Any]:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("Missing mandatory attribute", field="name", detail="a non-empty string")
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise InvalidInput("Invalid type", field="description", detail="must be string")
    resources = body.get("resources")
    if not isinstance(resources, list) or not resources:
        raise InvalidInput(
            "Missing mandatory attribute", field="resources", detail="a non-empty list of {id}"
        )
    ids: list[str] = []
    for index, ref in enumerate(resources):
        resource_id = ref.get("id") if isinstance(ref, Mapping) else None
        if not isinstance(resource_id, str) or not resource_id:
            raise InvalidInput("Invalid resource", field=f"resources[{index}].id", detail="{id}")
        if not exists(session, inventory.RESOURCE, resource_id):
            raise InvalidInput(
                "Unknown resource",
                field=f"resources[{index}].id",
                detail=f"no resource {resource_id} in inventory",
            )
        if resource_id not in ids:
            ids.append(resource_id)
    period = body.get("validFor")
    if not isinstance(period, Mapping):
        raise InvalidInput(
            "Missing mandatory attribute",
            field="validFor",
            detail="{startDateTime, endDateTime}",
        )
    starts_at = _instant(period.get("startDateTime"), "validFor.startDateTime")
    ends_at = _instant(period.get("endDateTime"), "validFor.endDateTime")
    if ends_at <= starts_at:
        raise InvalidInput(
            "Invalid period", field="validFor.endDateTime", detail="must be after startDateTime"
        )
    return {
        "name": name.strip(),
        "description": description,
        "resource_ids": ids,
        "starts_at": starts_at,
        "ends_at": ends_at,
    }


def _instant(raw: Any, field: str) -> datetime:
    if not isinstance(raw, str):
        raise InvalidInput("Missing mandatory attribute", field=field, detail="an ISO 8601 time")
    try:
        return parse_datetime(raw)
    except ValueError:
        raise InvalidInput("Invalid date-time", field=field, detail="must be ISO 8601") from None


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    return dict(payload)
