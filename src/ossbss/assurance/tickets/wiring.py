"""Module-level wiring set once by the composition root (bootstrap): the SLA policy and
whether a cleared root alarm resolves its ticket (OSSBSS_TICKET_AUTO_RESOLVE)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ossbss.assurance.tickets.domain import SlaPolicy
from ossbss.assurance.tickets.policy import default_policy


@dataclass
class _Wiring:
    auto_resolve: bool = True
    policy: SlaPolicy = field(default_factory=default_policy)


WIRING = _Wiring()


def configure(*, auto_resolve: bool | None = None, policy: SlaPolicy | None = None) -> None:
    if auto_resolve is not None:
        WIRING.auto_resolve = auto_resolve
    if policy is not None:
        WIRING.policy = policy


def current_policy() -> SlaPolicy:
    return WIRING.policy


def auto_resolve() -> bool:
    return WIRING.auto_resolve
