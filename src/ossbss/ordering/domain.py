"""Product order rules, pure: lifecycle, what an item asks for, characteristics, roll-up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ossbss.kernel.errors import InvalidInput
from ossbss.tmf import characteristic_text, characteristic_values

ORDER_LIFECYCLE: dict[str, frozenset[str]] = {
    "acknowledged": frozenset(
        {"rejected", "pending", "held", "inProgress", "assessingCancellation"}
    ),
    "pending": frozenset({"inProgress", "assessingCancellation"}),
    "held": frozenset({"inProgress", "assessingCancellation"}),
    "inProgress": frozenset(
        {"completed", "failed", "partial", "pending", "held", "assessingCancellation"}
    ),
    "assessingCancellation": frozenset({"pendingCancellation", "acknowledged", "inProgress"}),
    "pendingCancellation": frozenset({"cancelled"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "partial": frozenset(),
    "rejected": frozenset(),
    "cancelled": frozenset(),
}
FINAL = frozenset({"completed", "failed", "partial", "rejected", "cancelled"})
ITEM_FINAL = frozenset({"completed", "failed", "rejected", "cancelled"})
# Where a client may move an order itself (the rest is the server's, from activation).
CLIENT_MOVES: dict[str, frozenset[str]] = {
    "acknowledged": frozenset({"pending", "held"}),
    "pending": frozenset({"acknowledged"}),
    "held": frozenset({"acknowledged"}),
}

Intent = Literal["add", "modify", "suspend", "resume", "delete", "noChange"]


def intent(item: Mapping[str, Any]) -> Intent:
    """What an order item asks for. TMF622 has add, modify, delete and noChange; a modify that
    sets the product's status to ``suspended`` is a suspension, to ``active`` a resumption."""
    action = item.get("action")
    if action == "add":
        return "add"
    if action == "delete":
        return "delete"
    if action == "noChange":
        return "noChange"
    product = item.get("product") or {}
    status = product.get("status")
    if status == "suspended":
        return "suspend"
    if status == "active" and not product.get("productCharacteristic"):
        return "resume"
    return "modify"


def characteristics(product: Mapping[str, Any]) -> dict[str, str]:
    """A product's characteristic values as text."""
    return characteristic_values(product.get("productCharacteristic"))


def check_characteristics(
    specification: Mapping[str, Any], ordered: Mapping[str, str], *, field: str, partial: bool
) -> dict[str, str]:
    """Ordered values checked against the product specification: every name known, every
    value one the specification allows, required ones present (or defaulted). Returns the
    full set with defaults filled in. ``partial`` (a modify) checks only what is sent."""
    definitions = {
        str(d.get("name")): d
        for d in specification.get("productSpecCharacteristic") or []
        if isinstance(d, Mapping)
    }
    for name in ordered:
        if name not in definitions:
            raise InvalidInput(
                "Unknown characteristic",
                field=f"{field}.productCharacteristic",
                detail=f"{name} is not a characteristic of {specification.get('name')}",
            )
    result: dict[str, str] = {}
    for name, definition in definitions.items():
        allowed = [
            characteristic_text(v.get("value"))
            for v in definition.get("productSpecCharacteristicValue") or []
            if isinstance(v, Mapping) and "value" in v
        ]
        if name in ordered:
            if allowed and ordered[name] not in allowed:
                raise InvalidInput(
                    "Invalid characteristic value",
                    field=f"{field}.productCharacteristic",
                    detail=f"{name}={ordered[name]} is not offered; allowed: {', '.join(allowed)}",
                )
            result[name] = ordered[name]
        elif not partial:
            default = _default(definition)
            if default is not None:
                result[name] = default
            elif int(definition.get("minCardinality") or 0) > 0:
                raise InvalidInput(
                    "Missing characteristic",
                    field=f"{field}.productCharacteristic",
                    detail=f"{name} is required",
                )
    return result


def offering_defaults(uses: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The values an offering picks by default (its prodSpecCharValueUse ``isDefault``)."""
    defaults: dict[str, str] = {}
    for use in uses:
        default = _default(use)
        if isinstance(use.get("name"), str) and default is not None:
            defaults[use["name"]] = default
    return defaults


def check_offering_uses(
    uses: Sequence[Mapping[str, Any]], values: Mapping[str, str], *, field: str
) -> None:
    """An offering sells only the values its prodSpecCharValueUse lists (Fibre 300 is 300)."""
    for use in uses:
        name = use.get("name")
        allowed = [
            characteristic_text(v.get("value"))
            for v in use.get("productSpecCharacteristicValue") or []
            if isinstance(v, Mapping) and "value" in v
        ]
        if name in values and allowed and values[str(name)] not in allowed:
            raise InvalidInput(
                "Invalid characteristic value",
                field=f"{field}.productCharacteristic",
                detail=f"{name}={values[str(name)]} is not sold by this offering; "
                f"allowed: {', '.join(allowed)}",
            )


def _default(definition: Mapping[str, Any]) -> str | None:
    values = [v for v in definition.get("productSpecCharacteristicValue") or [] if "value" in v]
    for value in values:
        if value.get("isDefault"):
            return characteristic_text(value["value"])
    return characteristic_text(values[0]["value"]) if len(values) == 1 else None


def roll_up(states: Sequence[str]) -> str:
    """The order's final state from its items' final states."""
    if all(state == "completed" for state in states):
        return "completed"
    if any(state == "completed" for state in states):
        return "partial"
    return "failed"
