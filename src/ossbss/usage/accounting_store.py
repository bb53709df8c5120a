"""One batch of accounting events, one transaction: states read, deltas computed in order,
records handed to the sink, states written. Nothing is acknowledged before this commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss.kernel.time import ensure_utc
from ossbss.usage.accounting_contract import UsageInput, UsageSink
from ossbss.usage.accounting_models import AccountingSession
from ossbss.usage.accounting_rules import (
    AccountingEvent,
    Decision,
    Outcome,
    SessionState,
    apply,
)

_CHUNK = 400  # session keys per SELECT (bound-parameter limits)


def store_batch(
    session: Session,
    *,
    events: Sequence[AccountingEvent],
    sink: UsageSink,
    now: datetime,
) -> list[Decision]:
    """Apply ``events`` in arrival order; one decision per event."""
    sql = _Sql(session)
    known = _load(sql, {event.session_key for event in events})
    states: dict[tuple[str, str], SessionState] = dict(known)
    decisions: list[Decision] = []
    records: list[UsageInput] = []
    changed: set[tuple[str, str]] = set()
    for event in events:
        decision = apply(states.get(event.session_key), event)
        decisions.append(decision)
        if decision.outcome is Outcome.CONTROL:
            changed |= _end_sessions_of(sql, states, event.nas)
        if decision.state is not None:
            states[event.session_key] = decision.state
            changed.add(event.session_key)
        if decision.record is not None:
            records.append(decision.record)
    if records:
        sink(session, records=records, now=now)
    inserts = [sql.row(states[key]) for key in changed if key not in known]
    updates = [sql.row(states[key], key_last=True) for key in changed if key in known]
    if inserts:
        sql.executemany(_INSERT, inserts)
    if updates:
        sql.executemany(_UPDATE, updates)
    return decisions


def _end_sessions_of(
    sql: _Sql, states: dict[tuple[str, str], SessionState], nas: str
) -> set[tuple[str, str]]:
    """Accounting-On/Off: the NAS (re)started or is going down, so none of its sessions goes
    on — usage reported for them afterwards is late and counts nothing. The ones in this batch
    end in memory (written with the batch), the others in the table; returns the changed keys."""
    sql.execute(_END_SESSIONS, (True, nas, False))
    ended = set()
    for key, state in states.items():
        if state.nas == nas and not state.stopped:
            states[key] = replace(state, stopped=True)
            ended.add(key)
    return ended


def session_state(session: Session, *, nas: str, session_id: str) -> SessionState | None:
    return _load(_Sql(session), {(nas, session_id)}).get((nas, session_id))


# Plain SQL on the session's connection, parameters as tuples: at thousands of packets a
# second SQLAlchemy's per-row parameter and result processing cost more than the database.
_TABLE = AccountingSession.__tablename__
_STATE = (
    "subscriber, last_seen_at, bytes_up, bytes_down, wrap_up, wrap_down, session_seconds, stopped"
)
_SELECT = f"SELECT nas, session_id, {_STATE} FROM {_TABLE} WHERE nas = ? AND session_id IN ({{}})"
_INSERT = f"INSERT INTO {_TABLE} (nas, session_id, {_STATE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_UPDATE = (
    f"UPDATE {_TABLE} SET subscriber = ?, last_seen_at = ?, bytes_up = ?, bytes_down = ?, "
    "wrap_up = ?, wrap_down = ?, session_seconds = ?, stopped = ? "
    "WHERE nas = ? AND session_id = ?"
)
_END_SESSIONS = f"UPDATE {_TABLE} SET stopped = ? WHERE nas = ? AND stopped = ?"
# SQLAlchemy's own text form of a naive UTC datetime on SQLite (UTCDateTime stores naive UTC).
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class _Sql:
    def __init__(self, session: Session) -> None:
        self._connection = session.connection()
        self.sqlite = self._connection.dialect.name == "sqlite"

    def _driver(self, statement: str) -> str:
        return statement if self.sqlite else statement.replace("?", "%s")

    def execute(self, statement: str, parameters: tuple[Any, ...]) -> Any:
        return self._connection.exec_driver_sql(self._driver(statement), parameters)

    def executemany(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        self._connection.exec_driver_sql(self._driver(statement), rows)

    def row(self, state: SessionState, *, key_last: bool = False) -> tuple[Any, ...]:
        at = ensure_utc(state.last_event_at)
        seen: Any = at.replace(tzinfo=None).strftime(_SQLITE_DATETIME) if self.sqlite else at
        values = (
            state.subscriber,
            seen,
            state.bytes_up,
            state.bytes_down,
            state.wrap_up,
            state.wrap_down,
            state.session_seconds,
            state.stopped,
        )
        key = (state.nas, state.session_id)
        return values + key if key_last else key + values

    def moment(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return ensure_utc(value)
        return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _load(sql: _Sql, keys: set[tuple[str, str]]) -> dict[tuple[str, str], SessionState]:
    # Per NAS, ``nas = ? AND session_id IN (...)``: the primary key's index on both engines
    # (SQLite scans the whole table for a row-value ``(nas, session_id) IN (...)``).
    by_nas: dict[str, list[str]] = {}
    for nas, session_id in keys:
        by_nas.setdefault(nas, []).append(session_id)
    found: dict[tuple[str, str], SessionState] = {}
    for nas, session_ids in by_nas.items():
        session_ids.sort()
        for start in range(0, len(session_ids), _CHUNK):
            chunk = session_ids[start : start + _CHUNK]
            statement = _SELECT.format(", ".join("?" * len(chunk)))
            for row in sql.execute(statement, (nas, *chunk)):
                found[(row[0], row[1])] = SessionState(
                    nas=row[0],
                    session_id=row[1],
                    subscriber=row[2],
                    last_event_at=sql.moment(row[3]),
                    bytes_up=row[4],
                    bytes_down=row[5],
                    wrap_up=row[6],
                    wrap_down=row[7],
                    session_seconds=row[8],
                    stopped=bool(row[9]),
                )
    return found
