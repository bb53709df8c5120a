"""One batch of accounting events, one transaction: states read, deltas computed in order,
records handed to the sink, states written. Nothing is acknowledged before this commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, tuple_
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
    rows = _load(session, {event.session_key for event in events})
    states = {key: _state(row) for key, row in rows.items()}
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
    for key in changed:
        _write(session, rows.get(key), states[key])
    session.flush()
    return decisions


def session_state(session: Session, *, nas: str, session_id: str) -> SessionState | None:
    row = session.get(AccountingSession, (nas, session_id))
    return _state(row) if row is not None else None


def _load(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], AccountingSession]:
    found: dict[tuple[str, str], AccountingSession] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        query = select(AccountingSession).where(
            tuple_(AccountingSession.nas, AccountingSession.session_id).in_(chunk)
        )
        for row in session.scalars(query):
            found[(row.nas, row.session_id)] = row
    return found


def _state(row: AccountingSession) -> SessionState:
    return SessionState(
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


def _write(session: Session, row: AccountingSession | None, state: SessionState) -> None:
    if row is None:
        row = AccountingSession(nas=state.nas, session_id=state.session_id)
        session.add(row)
    row.subscriber = state.subscriber
    row.last_seen_at = state.last_event_at
    row.bytes_up = state.bytes_up
    row.bytes_down = state.bytes_down
    row.wrap_up = state.wrap_up
    row.wrap_down = state.wrap_down
    row.session_seconds = state.session_seconds
    row.stopped = state.stopped
