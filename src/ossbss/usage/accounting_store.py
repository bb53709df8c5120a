"""One batch of accounting events, one transaction: states read, deltas computed in order,
records handed to the sink, states written. Nothing is acknowledged before this commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from ossbss.usage.accounting_contract import UsageInput, UsageSink
from ossbss.usage.accounting_models import AccountingSession
from ossbss.usage.accounting_rules import AccountingEvent, Decision, SessionState, apply

_CHUNK = 400  # session keys per SELECT (bound-parameter limits)


def store_batch(
    session: Session,
    *,
    events: Sequence[AccountingEvent],
    sink: UsageSink,
    now: datetime,
) -> list[Decision]:
    """Apply ``events`` in arrival order; one decision per event."""
    known = _load(session, {event.session_key for event in events})
    states: dict[tuple[str, str], SessionState] = dict(known)
    decisions: list[Decision] = []
    records: list[UsageInput] = []
    changed: set[tuple[str, str]] = set()
    for event in events:
        decision = apply(states.get(event.session_key), event)
        decisions.append(decision)
        if decision.state is not None:
            states[event.session_key] = decision.state
            changed.add(event.session_key)
        if decision.record is not None:
            records.append(decision.record)
    if records:
        sink(session, records=records, now=now)
    # Core statements, many rows each: the ORM's per-object bookkeeping costs more than the
    # database does at thousands of packets a second.
    inserts = [_row(states[key]) for key in changed if key not in known]
    updates = [_row(states[key], prefix="b_") for key in changed if key in known]
    if inserts:
        session.execute(insert(_TABLE), inserts)
    if updates:
        session.execute(_UPDATE, updates)
    return decisions


def session_state(session: Session, *, nas: str, session_id: str) -> SessionState | None:
    return _load(session, {(nas, session_id)}).get((nas, session_id))


_TABLE: Table = AccountingSession.__table__  # type: ignore[assignment]
_COLUMNS = (
    "nas",
    "session_id",
    "subscriber",
    "last_seen_at",
    "bytes_up",
    "bytes_down",
    "wrap_up",
    "wrap_down",
    "session_seconds",
    "stopped",
)
_UPDATE = (
    update(_TABLE)
    .where(_TABLE.c.nas == bindparam("b_nas"), _TABLE.c.session_id == bindparam("b_session_id"))
    .values({name: bindparam(f"b_{name}") for name in _COLUMNS[2:]})
)


def _load(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], SessionState]:
    # Per NAS, ``nas = ? AND session_id IN (...)``: the primary key's index on both engines
    # (SQLite scans the whole table for a row-value ``(nas, session_id) IN (...)``).
    by_nas: dict[str, list[str]] = {}
    for nas, session_id in keys:
        by_nas.setdefault(nas, []).append(session_id)
    found: dict[tuple[str, str], SessionState] = {}
    columns = [_TABLE.c[name] for name in _COLUMNS]
    for nas, session_ids in by_nas.items():
        session_ids.sort()
        for start in range(0, len(session_ids), _CHUNK):
            chunk = session_ids[start : start + _CHUNK]
            query = select(*columns).where(_TABLE.c.nas == nas, _TABLE.c.session_id.in_(chunk))
            for row in session.execute(query):
                found[(row.nas, row.session_id)] = SessionState(
                    nas=row.nas,
                    session_id=row.session_id,
                    subscriber=row.subscriber,
                    last_event_at=row.last_seen_at,
                    bytes_up=row.bytes_up,
                    bytes_down=row.bytes_down,
                    wrap_up=row.wrap_up,
                    wrap_down=row.wrap_down,
                    session_seconds=row.session_seconds,
                    stopped=row.stopped,
                )
    return found


def _row(state: SessionState, prefix: str = "") -> dict[str, object]:
    values = {
        "nas": state.nas,
        "session_id": state.session_id,
        "subscriber": state.subscriber,
        "last_seen_at": state.last_event_at,
        "bytes_up": state.bytes_up,
        "bytes_down": state.bytes_down,
        "wrap_up": state.wrap_up,
        "wrap_down": state.wrap_down,
        "session_seconds": state.session_seconds,
        "stopped": state.stopped,
    }
    return {prefix + name: value for name, value in values.items()}
