"""TMF ``Characteristic`` lists (``[{"name", "value"}]``) as plain name -> text maps and back:
what rules compare and drivers take."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def characteristic_values(items: Iterable[Any] | None) -> dict[str, str]:
    """Name -> value as text (``True`` -> ``true``); entries without a name are skipped."""
    values: dict[str, str] = {}
    for item in items or ():
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            values[item["name"]] = characteristic_text(item.get("value"))
    return values


def characteristic_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def characteristic_list(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "valueType": "string", "value": value} for name, value in values.items()]
