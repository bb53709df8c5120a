"""Trouble ticket rules (pure: no session, no clock): the TMF621 status lifecycle, severity to
priority, SLA timers and their breach."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ossbss.kernel.errors import InvalidInput

# TMF621 TroubleTicketStatusType
ACKNOWLEDGED = "acknowledged"
IN_PROGRESS = "inProgress"
PENDING = "pending"
HELD = "held"
RESOLVED = "resolved"
CLOSED = "closed"
CANCELLED = "cancelled"
REJECTED = "rejected"
STATUSES = (ACKNOWLEDGED, IN_PROGRESS, PENDING, HELD, RESOLVED, CLOSED, CANCELLED, REJECTED)

# The moves people may make (the TMF621 user guide's state chart): a ticket is taken up or
# refused; work waits on someone (pending) or something (held); a resolution is confirmed
# (closed) or refused (back to inProgress).
LIFECYCLE: Mapping[str, frozenset[str]] = {
    ACKNOWLEDGED: frozenset({IN_PROGRESS, REJECTED, CANCELLED}),
    IN_PROGRESS: frozenset({PENDING, HELD, RESOLVED, CANCELLED}),
    PENDING: frozenset({IN_PROGRESS, CANCELLED}),
    HELD: frozenset({IN_PROGRESS, CANCELLED}),
    RESOLVED: frozenset({CLOSED, IN_PROGRESS}),
    CLOSED: frozenset(),
    CANCELLED: frozenset(),
    REJECTED: frozenset(),
}
INITIAL = frozenset({ACKNOWLEDGED})
# Work still to do: the resolve clock runs, the root alarm's clearing may resolve it.
OPEN = frozenset({ACKNOWLEDGED, IN_PROGRESS, PENDING, HELD})
FINAL = frozenset({CLOSED, CANCELLED, REJECTED})
# Statuses that stop the resolve clock.
ENDING = frozenset({RESOLVED, CLOSED, CANCELLED, REJECTED})


def allowed_moves(status: str) -> frozenset[str]:
    return LIFECYCLE.get(status, frozenset())


def may_move(old: str, new: str) -> bool:
    return old == new or new in allowed_moves(old)


# --- durations --------------------------------------------------------------------------------

_SHORT = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(raw: str, *, field: str) -> timedelta:
    """``15m``, ``4h``, ``1h30m``, ``2d``, ``90s`` or ISO 8601 (``PT15M``, ``P1D``); plain
    digits are seconds."""
    text = raw.strip()
    if text.isascii() and text.isdigit():
        return timedelta(seconds=int(text))
    match = _SHORT.match(text.lower()) or _ISO.match(text.upper())
    if match is None or not any(match.groups()) or text in ("P", "PT"):
        raise InvalidInput(
            "Invalid duration", field=field, detail=f"{raw!r}: e.g. 15m, 4h, 1h30m, PT30M"
        )
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


# --- SLA policy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    respond: timedelta
    resolve: timedelta


@dataclass(frozen=True)
class SlaPolicy:
    targets: Mapping[str, Target]  # priority -> respond/resolve spans
    severities: Mapping[str, str]  # lower-case severity -> priority
    default_priority: str
    near_breach: timedelta

    def priority_for(self, severity: str | None) -> str:
        return self.severities.get((severity or "").strip().lower(), self.default_priority)

    def target(self, priority: str | None) -> Target | None:
        return self.targets.get(priority or "")


@dataclass(frozen=True)
class Timers:
    respond_by: datetime | None
    resolve_by: datetime | None


def timers(policy: SlaPolicy, priority: str | None, opened_at: datetime) -> Timers:
    """Both due times run from the ticket's creation; a priority the policy does not know
    has no SLA."""
    target = policy.target(priority)
    if target is None:
        return Timers(None, None)
    return Timers(opened_at + target.respond, opened_at + target.resolve)


# --- where a ticket stands ---------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One SLA timer: due at ``due``; stopped at ``stopped`` (None: still running)."""

    due: datetime | None
    stopped: datetime | None

    def breached(self, now: datetime) -> bool:
        return self.due is not None and self.due < (self.stopped or now)

    def remaining(self, now: datetime) -> timedelta | None:
        """Time left while running (negative once overdue); None when stopped or no SLA."""
        if self.due is None or self.stopped is not None:
            return None
        return self.due - now

    def near_breach(self, now: datetime, within: timedelta) -> bool:
        left = self.remaining(now)
        return left is not None and timedelta(0) <= left <= within


@dataclass(frozen=True)
class SlaState:
    respond: Clock
    resolve: Clock

    def breached(self, now: datetime) -> bool:
        return self.respond.breached(now) or self.resolve.breached(now)

    def near_breach(self, now: datetime, within: timedelta) -> bool:
        return not self.breached(now) and (
            self.respond.near_breach(now, within) or self.resolve.near_breach(now, within)
        )


def sla_state(
    timers: Timers, *, responded_at: datetime | None, ended_at: datetime | None
) -> SlaState:
    return SlaState(
        respond=Clock(timers.respond_by, responded_at),
        resolve=Clock(timers.resolve_by, ended_at),
    )


@dataclass(frozen=True)
class Move:
    """What a status change does to the clocks."""

    responded_at: datetime | None
    ended_at: datetime | None


def apply_move(
    *, old: str, new: str, at: datetime, responded_at: datetime | None, ended_at: datetime | None
) -> Move:
    """Leaving ``acknowledged`` answers the ticket (once); resolving, cancelling or rejecting
    stops the resolve clock; reopening a resolved ticket starts it again (the time spent
    resolved counts: clocks never pause)."""
    if old == new:
        return Move(responded_at, ended_at)
    if responded_at is None:
        responded_at = at
    if new in ENDING and ended_at is None:
        ended_at = at
    if new in OPEN:
        ended_at = None
    return Move(responded_at, ended_at)
