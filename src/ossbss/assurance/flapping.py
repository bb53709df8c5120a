"""Flapping: a problem that raises and clears over and over (a bouncing link).

Pure rule. Every raise of a new alarm and every clear of a reduction key is a transition; the
transitions are counted in a fixed window opened by the first one. More than ``threshold``
transitions inside ``window`` marks the key flapping: its alarm then stays active (a clear
no longer removes it from the list) so operators see one flapping alarm rather than a
stream of raised-and-cleared ones. A transition after the window has passed opens a new
window and ends the flapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class FlapRule:
    window: timedelta = timedelta(minutes=10)
    threshold: int = 5


@dataclass(frozen=True, slots=True)
class FlapState:
    """A key's transitions since ``since`` (None: none yet)."""

    since: datetime | None = None
    transitions: int = 0

    def flapping(self, rule: FlapRule) -> bool:
        return self.transitions > rule.threshold


def transition(state: FlapState, *, at: datetime, rule: FlapRule) -> FlapState:
    """The state after one more raise or clear at ``at``."""
    if state.since is None or at - state.since >= rule.window or at < state.since:
        return FlapState(since=at, transitions=1)
    return FlapState(since=state.since, transitions=state.transitions + 1)


def carried(state: FlapState, *, at: datetime, rule: FlapRule) -> FlapState:
    """What a new alarm of the key inherits from its last cleared one: the window if it is
    still open at ``at``, else nothing."""
    if state.since is None or at - state.since >= rule.window:
        return FlapState()
    return state
