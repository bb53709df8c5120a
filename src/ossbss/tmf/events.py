"""The TMF machinery's own events: a resource changed; a notification is due to a subscriber."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ossbss.kernel.events import Event

Change = Literal["Create", "AttributeValueChange", "StateChange", "Delete"]


@dataclass(frozen=True, kw_only=True)
class ResourceChanged(Event):
    """A TMF resource was created, changed or deleted; ``document`` is its state afterwards
    (before, for a delete), with ``id`` and a relative ``href``."""

    topic = "tmf.resource-changed"

    api: str
    resource: str
    resource_id: str
    change: str
    document: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class HubNotificationDue(Event):
    """One event body to POST to one hub subscriber (retried by the outbox until it lands)."""

    topic = "tmf.hub-notification-due"

    subscription_id: str
    body: dict[str, Any]


# Server-maintained timestamps: their change alone is not an attribute change worth notifying.
SERVER_TIMESTAMPS = ("lastUpdate", "lastModified")


def event_type(resource: str, change: str) -> str:
    return f"{resource[0].upper()}{resource[1:]}{change}Event"


def change_kinds(old: dict[str, Any], new: dict[str, Any], state_field: str | None) -> list[Change]:
    """Which notifications an update deserves: a state change, other changes, or both."""
    kinds: list[Change] = []
    if state_field and old.get(state_field) != new.get(state_field):
        kinds.append("StateChange")
    ignored = {state_field, *SERVER_TIMESTAMPS}
    others_old = {k: v for k, v in old.items() if k not in ignored}
    others_new = {k: v for k, v in new.items() if k not in ignored}
    if others_old != others_new:
        kinds.append("AttributeValueChange")
    return kinds
