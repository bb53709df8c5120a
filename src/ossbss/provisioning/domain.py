"""Service order rules, pure: lifecycle, how items map to driver actions, roll-ups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ossbss.kernel.errors import InvalidInput
from ossbss.provisioning.drivers import Action

ORDER_LIFECYCLE: dict[str, frozenset[str]] = {
    "acknowledged": frozenset({"rejected", "pending", "held", "inProgress", "cancelled"}),
    "pending": frozenset({"inProgress", "cancelled"}),
    "held": frozenset({"inProgress", "cancelled"}),
    "inProgress": frozenset({"completed", "failed", "partial", "cancelled"}),
    "partial": frozenset({"inProgress", "cancelled"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "rejected": frozenset(),
    "cancelled": frozenset(),
}
FINAL = frozenset({"completed", "failed", "rejected", "cancelled"})
# What a service order item may do to an existing service.
CLIENT_ACTIONS = frozenset({"modify", "delete"})

# The TMF638 state a resource-facing service is in after a completed step of each action.
STATE_AFTER: dict[str, str] = {
    "add": "active",
    "modify": "active",
    "resume": "active",
    "suspend": "inactive",
    "delete": "terminated",
}


def item_action(action: str, service: Mapping[str, Any]) -> Action:
    """A TMF order item (add, modify, delete) as the driver action it means: a modify that
    sets the service ``inactive`` is a suspension, one that sets it ``active`` a resumption."""
    if action in ("add", "delete"):
        return "add" if action == "add" else "delete"
    if action != "modify":
        raise InvalidInput("Invalid action", field="action", detail="add, modify or delete")
    state = service.get("state")
    if state == "inactive":
        return "suspend"
    if state == "active" and not service.get("serviceCharacteristic"):
        return "resume"
    return "modify"


def characteristics(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """TMF ``[{"name", "value"}]`` as a flat name -> string map (values JSON scalars)."""
    result: dict[str, str] = {}
    for item in items or ():
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            value = item.get("value")
            result[item["name"]] = str(value).lower() if isinstance(value, bool) else str(value)
    return result


def as_characteristics(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "valueType": "string", "value": value} for name, value in values.items()]


def roll_up(states: Sequence[str]) -> str:
    """An order's state from its items' final states."""
    if all(state == "completed" for state in states):
        return "completed"
    if any(state == "completed" for state in states):
        return "partial"
    return "failed"
