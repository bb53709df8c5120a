"""The SLA policy file (TOML): respond/resolve spans per priority, severity -> priority."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from ossbss.assurance.tickets.domain import SlaPolicy, Target, parse_duration
from ossbss.kernel.errors import InvalidInput


def parse_policy(text: str) -> SlaPolicy:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput("Invalid SLA policy", detail=str(exc)) from None
    priorities = _table(raw, "priority")
    if not priorities:
        raise InvalidInput("Invalid SLA policy", field="priority", detail="no priority defined")
    targets = {}
    for name, spans in priorities.items():
        if not isinstance(spans, Mapping):
            raise InvalidInput("Invalid SLA policy", field=f"priority.{name}", detail="a table")
        respond = parse_duration(str(spans.get("respond", "")), field=f"priority.{name}.respond")
        resolve = parse_duration(str(spans.get("resolve", "")), field=f"priority.{name}.resolve")
        if resolve < respond:
            raise InvalidInput(
                "Invalid SLA policy", field=f"priority.{name}.resolve", detail="before respond"
            )
        targets[str(name)] = Target(respond=respond, resolve=resolve)
    severities = {str(k).lower(): str(v) for k, v in _table(raw, "severity").items()}
    default = str(_table(raw, "default").get("priority", next(iter(targets))))
    uses = [*((f"severity.{k}", v) for k, v in severities.items()), ("default", default)]
    for where, priority in uses:
        if priority not in targets:
            raise InvalidInput(
                "Invalid SLA policy", field=where, detail=f"unknown priority {priority!r}"
            )
    near = parse_duration(str(raw.get("near_breach", "30m")), field="near_breach")
    return SlaPolicy(
        targets=targets, severities=severities, default_priority=default, near_breach=near
    )


def _table(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        raise InvalidInput("Invalid SLA policy", field=name, detail="must be a table")
    return value


def load_policy(path: Path | None = None) -> SlaPolicy:
    if path is not None:
        return parse_policy(path.read_text(encoding="utf-8"))
    return default_policy()


@cache
def default_policy() -> SlaPolicy:
    """The policy shipped beside this module (ossbss/assurance/tickets/sla.toml)."""
    text = files("ossbss.assurance.tickets").joinpath("sla.toml").read_text(encoding="utf-8")
    return parse_policy(text)
