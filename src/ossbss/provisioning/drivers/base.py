"""The driver protocol every network-element driver implements (napalm style).

A driver turns one step of a service order — "do this action to this resource-facing
service, with these parameters" — into protocol calls on a network element. Drivers are
idempotent: executing the same request twice leaves the element as after one execution, and
``undo`` of a request that never took effect is a no-op. The orchestrator relies on both to
finish or compensate an order after a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Protocol

Action = Literal["add", "modify", "suspend", "resume", "delete"]
ACTIONS: tuple[Action, ...] = ("add", "modify", "suspend", "resume", "delete")

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class ActivationRequest:
    """One step: apply ``action`` to the resource-facing service ``service_id``.

    ``params`` are the service's characteristic values after the step (for example
    ``username``, ``password``, ``ipv4Address``, ``rateDownKbps``, ``device``, ``port``,
    ``vlan``); ``previous`` are the values before it (for ``modify``, and to undo).
    """

    service_id: str
    spec: str
    action: Action
    params: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    previous: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class ActivationResult:
    ok: bool
    message: str = ""
    # What the element reported (a RADIUS Error-Cause, a NETCONF error-tag and path, ...).
    detail: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


class DriverError(Exception):
    """The element could not be reached or answered something the driver cannot read."""


class Driver(Protocol):
    """A network-element driver. ``name`` is what service specifications refer to."""

    name: str

    def execute(self, request: ActivationRequest) -> ActivationResult:
        """Apply the request. Idempotent. A refusal by the element is ``ok=False``, not a raise."""
        ...

    def undo(self, request: ActivationRequest) -> ActivationResult:
        """Reverse a request executed earlier (or never): add → remove, modify → previous, ..."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
