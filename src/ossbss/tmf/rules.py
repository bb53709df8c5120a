"""Rules common to many TMF resources: time periods and lifecycle transitions (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ossbss.kernel.errors import InvalidInput, InvalidStateTransition
from ossbss.kernel.time import parse_datetime


def check_period(document: Mapping[str, Any], field: str = "validFor", *, prefix: str = "") -> None:
    """A TimePeriod must parse and must not end before it starts."""
    period = document.get(field)
    if not isinstance(period, Mapping):
        return
    label = prefix + field
    start = _instant(period, label, "startDateTime")
    end = _instant(period, label, "endDateTime")
    if start is not None and end is not None and end < start:
        raise InvalidInput(
            "Invalid period", field=f"{label}.endDateTime", detail="ends before the period starts"
        )


def _instant(period: Mapping[str, Any], field: str, name: str) -> Any:
    raw = period.get(name)
    if raw is None:
        return None
    try:
        return parse_datetime(str(raw))
    except ValueError:
        raise InvalidInput(
            "Invalid date-time", field=f"{field}.{name}", detail="must be ISO 8601"
        ) from None


def check_transition(
    machine: Mapping[str, frozenset[str]], old: str | None, new: str | None, *, field: str
) -> None:
    """Refuse a move the lifecycle does not allow (staying put is always allowed)."""
    if old == new or old is None:
        return
    if new not in machine.get(old, frozenset()):
        allowed = ", ".join(sorted(machine.get(old, frozenset()))) or "none (final state)"
        raise InvalidStateTransition(
            "Invalid state transition",
            field=field,
            detail=f"cannot go from {old} to {new}; allowed: {allowed}",
        )


def check_initial(allowed: frozenset[str], value: str | None, *, field: str) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(
            "Invalid initial state",
            field=field,
            detail=f"a new resource starts in {', '.join(sorted(allowed))}",
        )
