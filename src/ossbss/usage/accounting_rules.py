"""RADIUS accounting arithmetic (RFC 2866, RFC 2869 gigawords): pure, no session, no clock.

A NAS reports *cumulative* counters per session; a usage record is the difference between two
packets. ``apply`` takes the last state of a session and one packet and says what to do:
store a record and the new state, just acknowledge (a duplicate, a late retransmission, a
Start for a known session), or refuse the packet (absurd counters: the NAS keeps retrying
and an operator looks).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ossbss.usage.accounting_contract import UsageInput

WRAP = 1 << 32
# A whole 32-bit counter's worth of traffic per second is far beyond any access line: above
# it the counters are garbage (a wrapped signed value, a NAS bug), not usage.
MAX_BYTES_PER_SECOND = 12_500_000_000  # 100 Gbit/s
MAX_BURST_BYTES = 60 * MAX_BYTES_PER_SECOND  # counters a NAS may report before the first second
MAX_SESSION_SECONDS = 10 * 366 * 86_400  # "negative" durations arrive as ~2^32 s (136 years)


class Status(enum.IntEnum):
    """Acct-Status-Type values the collector acts on."""

    START = 1
    STOP = 2
    INTERIM = 3
    ACCOUNTING_ON = 7
    ACCOUNTING_OFF = 8


@dataclass(frozen=True, slots=True)
class AccountingEvent:
    """One decoded Accounting-Request. Counters are raw: ``(gigawords << 32) | octets``;
    ``None`` when the packet did not carry the attribute (then the last value holds)."""

    nas: str
    session_id: str
    subscriber: str
    status: Status
    event_time: datetime
    # True when event_time is the NAS's Event-Timestamp (the NAS's clock, not ours).
    nas_timestamp: bool = False
    bytes_up: int | None = None  # Acct-Input-Octets: from the subscriber
    bytes_down: int | None = None  # Acct-Output-Octets: to the subscriber
    session_seconds: int | None = None

    @property
    def session_key(self) -> tuple[str, str]:
        return (self.nas, self.session_id)


@dataclass(frozen=True, slots=True)
class SessionState:
    """The last cumulative position of a session (what ``usage_accounting_session`` holds)."""

    nas: str
    session_id: str
    subscriber: str
    last_event_at: datetime
    bytes_up: int = 0
    bytes_down: int = 0
    wrap_up: int = 0
    wrap_down: int = 0
    session_seconds: int = 0
    stopped: bool = False


class Outcome(enum.Enum):
    RECORDED = "recorded"  # a record and a new state
    STARTED = "started"  # a new state, no usage yet
    STOPPED = "stopped"  # the session ended with nothing new to count
    DUPLICATE = "duplicate"  # nothing new (retransmission, late or repeated packet)
    CONTROL = "control"  # Accounting-On/Off: acknowledged, nothing to store
    REFUSED = "refused"  # absurd values: not stored, not acknowledged


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    state: SessionState | None = None  # the new state to store (None: unchanged)
    record: UsageInput | None = None
    reason: str = ""  # why REFUSED

    @property
    def acknowledge(self) -> bool:
        return self.outcome is not Outcome.REFUSED


MAX_RECORD_KEY = 255  # usage_record.record_key


def record_key(nas: str, session_id: str, up: int, down: int, seconds: int) -> str:
    """Same cumulative position, same key: whatever path a packet took to us (retransmitted,
    replayed after a crash), the sink sees one key once. NAS and session ids may be 253
    characters each: a key that would not fit names them by a digest instead."""
    key = f"radius:{nas}:{session_id}:{up}:{down}:{seconds}"
    if len(key) <= MAX_RECORD_KEY:
        return key
    digest = hashlib.sha256(f"{nas}\0{session_id}".encode()).hexdigest()
    return f"radius:sha256:{digest}:{up}:{down}:{seconds}"


def apply(state: SessionState | None, event: AccountingEvent) -> Decision:
    if event.status in (Status.ACCOUNTING_ON, Status.ACCOUNTING_OFF):
        return Decision(Outcome.CONTROL)
    if event.session_seconds is not None and event.session_seconds > MAX_SESSION_SECONDS:
        return Decision(Outcome.REFUSED, reason="absurd_session_time")
    if event.status is Status.START:
        return _start(state, event)
    return _progress(state, event)


def _fresh(event: AccountingEvent) -> SessionState:
    return SessionState(
        nas=event.nas,
        session_id=event.session_id,
        subscriber=event.subscriber,
        last_event_at=event.event_time,
    )


def _start(state: SessionState | None, event: AccountingEvent) -> Decision:
    # A Start for a session we know is a retransmission (or arrived after its Interims),
    # unless the session ended and the NAS's own clock says this Start came later: then the
    # NAS reused the Acct-Session-Id for a new session.
    reused = (
        state is not None
        and state.stopped
        and event.nas_timestamp
        and event.event_time > state.last_event_at
    )
    if state is not None and not reused:
        return Decision(Outcome.DUPLICATE)
    # Counters in a Start are the baseline (normally zero): nothing was used yet.
    baseline = replace(
        _fresh(event),
        bytes_up=event.bytes_up or 0,
        bytes_down=event.bytes_down or 0,
        session_seconds=event.session_seconds or 0,
    )
    return Decision(Outcome.STARTED, state=baseline)


def _progress(state: SessionState | None, event: AccountingEvent) -> Decision:
    # No state: the Start was lost or came before us; everything so far is new.
    previous = state or _fresh(event)
    if previous.stopped:
        return Decision(Outcome.DUPLICATE)
    seconds = previous.session_seconds if event.session_seconds is None else event.session_seconds
    if seconds < previous.session_seconds:
        return Decision(Outcome.DUPLICATE)  # an older packet arriving late
    later = seconds > previous.session_seconds
    up = _unwrap(event.bytes_up, previous.bytes_up, previous.wrap_up, later)
    down = _unwrap(event.bytes_down, previous.bytes_down, previous.wrap_down, later)
    if up is None or down is None:
        # Lower counters without time passing: an older packet, not a wrap.
        return Decision(Outcome.DUPLICATE)
    if up is _BACKWARDS or down is _BACKWARDS:
        return Decision(Outcome.REFUSED, reason="counters_went_back")
    (total_up, wrap_up), (total_down, wrap_down) = up, down
    if max(total_up, total_down) > MAX_BURST_BYTES + seconds * MAX_BYTES_PER_SECOND:
        return Decision(Outcome.REFUSED, reason="absurd_counters")
    stopped = event.status is Status.STOP
    new_state = replace(
        previous,
        subscriber=event.subscriber,
        last_event_at=max(previous.last_event_at, event.event_time),
        bytes_up=total_up,
        bytes_down=total_down,
        wrap_up=wrap_up,
        wrap_down=wrap_down,
        session_seconds=seconds,
        stopped=stopped,
    )
    delta_up = total_up - previous.bytes_up
    delta_down = total_down - previous.bytes_down
    delta_seconds = seconds - previous.session_seconds
    if not (delta_up or delta_down or delta_seconds):
        if stopped:
            return Decision(Outcome.STOPPED, state=new_state)
        return Decision(Outcome.DUPLICATE)
    record = UsageInput(
        record_key=record_key(event.nas, event.session_id, total_up, total_down, seconds),
        kind="data",
        subscriber=event.subscriber,
        started_at=event.event_time - timedelta(seconds=delta_seconds),
        duration_seconds=delta_seconds,
        bytes_up=delta_up,
        bytes_down=delta_down,
        source="radius",
        source_ref=f"{event.nas}/{event.session_id}",
    )
    return Decision(Outcome.RECORDED, state=new_state, record=record)


_BACKWARDS = (-1, -1)


def _unwrap(raw: int | None, last_total: int, wrap: int, later: bool) -> tuple[int, int] | None:
    """The unwrapped cumulative counter and the wrap offset; None for an older packet;
    ``_BACKWARDS`` for a drop no single wrap explains (a NAS that reset its counters).

    A counter lower than the last one while time went on is a 32-bit wrap (a NAS without
    gigawords, or one that missed the increment): 2^32 more went through."""
    if raw is None:
        return last_total, wrap
    total = raw + wrap
    if total >= last_total:
        return total, wrap
    if not later:
        return None
    if total + WRAP < last_total:
        return _BACKWARDS
    return total + WRAP, wrap + WRAP
