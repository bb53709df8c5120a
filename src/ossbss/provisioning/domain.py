"""Service order rules, pure: lifecycle, how items map to driver actions, roll-ups."""

from __future__ import annotations

from collections.abc import Mapping
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
