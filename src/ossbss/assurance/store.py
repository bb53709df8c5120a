"""Signals into alarms: de-duplication by reduction key, escalation, clears, flapping.

``ingest`` runs in the caller's transaction and is built for batches of thousands: the
signals are merged per reduction key in memory, the database is read once (the active and
recently cleared alarms of the batch's keys) and written with one executemany per kind
(insert, update), through SQLAlchemy Core rather than ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from ossbss.assurance import correlation, wiring
from ossbss.assurance.alarm_view import API_NAME, SPEC_API_NAME, notify, render_alarm
from ossbss.assurance.flapping import FlapRule, FlapState, carried, transition
from ossbss.assurance.models import Alarm
from ossbss.assurance.rules import is_worse
from ossbss.assurance.signals import AlarmSignal
from ossbss.events.assurance import AlarmCleared, AlarmRaised
from ossbss.kernel import Event, new_id
from ossbss.kernel.outbox import publish_many
from ossbss.tmf import has_subscribers

ALARMS = cast(Table, Alarm.__table__)
# SQLite allows 32766 bound values per statement; stay far below with the IN lists.
_IN_CHUNK = 900
# What a duplicate, an escalation, a clear or a flap may change on an existing row.
_UPDATED = (
    "state",
    "perceived_severity",
    "count",
    "last_occurred_at",
    "changed_at",
    "cleared_at",
    "flapping",
    "transitions",
    "transitions_since",
    "flap_cleared_at",
)


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What a batch did: the ids of the alarms it raised, escalated ("updated") and cleared
    (an alarm raised and cleared in the same batch is in both), the signals that only added
    to an active alarm's count, and the clears that found nothing active."""

    raised: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    cleared: tuple[str, ...] = ()
    duplicates: int = 0
    ignored_clears: int = 0


@dataclass(slots=True)
class _Row:
    """An alarm being worked on in memory (``pk`` None: inserted by this batch)."""

    pk: int | None
    id: str
    reduction_key: str
    state: str
    perceived_severity: str
    count: int
    last_occurred_at: datetime
    changed_at: datetime
    cleared_at: datetime | None
    flapping: bool
    transitions: int
    transitions_since: datetime | None
    flap_cleared_at: datetime | None
    alarmed_object_id: str | None
    is_root_cause: bool
    insert_values: dict[str, Any] | None = None
    dirty: bool = False

    @property
    def flap(self) -> FlapState:
        return FlapState(since=self.transitions_since, transitions=self.transitions)

    def set_flap(self, state: FlapState, rule: FlapRule) -> None:
        self.transitions_since, self.transitions = state.since, state.transitions
        self.flapping = state.flapping(rule)


@dataclass(slots=True)
class _Batch:
    now: datetime
    rule: FlapRule
    new: list[_Row] = field(default_factory=list)
    raised: list[str] = field(default_factory=list)
    updated: dict[str, None] = field(default_factory=dict)  # ordered set
    cleared: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    duplicates: int = 0
    ignored_clears: int = 0


def ingest(
    session: Session,
    *,
    signals: Sequence[AlarmSignal],
    now: datetime,
    flap_rule: FlapRule | None = None,
) -> IngestOutcome:
    """Store ``signals`` as alarms (see the module doc); publishes AlarmRaised/AlarmCleared
    and hands the outcome to correlation. Never commits."""
    batch = _Batch(now=now, rule=flap_rule or wiring.flap_rule())
    by_key: dict[str, list[AlarmSignal]] = {}
    for signal in signals:
        by_key.setdefault(signal.reduction_key, []).append(signal)
    if by_key:
        earliest = min(signal.occurred_at for signal in signals)
        active, history = _load(session, by_key.keys(), since=earliest - batch.rule.window)
        existing = list(active.values())
        for key, key_signals in by_key.items():
            _apply(batch, key_signals, active.get(key), history.get(key, FlapState()))
        _write(session, batch, existing)
    outcome = IngestOutcome(
        raised=tuple(batch.raised),
        updated=tuple(batch.updated),
        cleared=tuple(batch.cleared),
        duplicates=batch.duplicates,
        ignored_clears=batch.ignored_clears,
    )
    publish_many(session, batch.events, now=now)
    _notify_hub(session, outcome, now)
    correlation.correlate(session, outcome=outcome, now=now)
    return outcome


def _notify_hub(session: Session, outcome: IngestOutcome, now: datetime) -> None:
    """alarmCreateEvent / alarmStateChangeEvent for hub subscribers; rendering the alarms
    costs a query, so it is done only when someone listens."""
    if not any(has_subscribers(session, api=api) for api in (API_NAME, SPEC_API_NAME)):
        return
    wanted = [*outcome.raised, *outcome.updated, *outcome.cleared]
    if not wanted:
        return
    documents: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        for alarm in session.scalars(select(Alarm).where(Alarm.id.in_(chunk))):
            documents[alarm.id] = render_alarm(alarm)
    cleared = set(outcome.cleared)
    created = [documents[i] for i in outcome.raised if i in documents and i not in cleared]
    changed = [documents[i] for i in (*outcome.updated, *outcome.cleared) if i in documents]
    notify(session, resource="alarm", change="Create", documents=created, now=now)
    notify(session, resource="alarm", change="StateChange", documents=changed, now=now)


def _load(
    session: Session, keys: Iterable[str], *, since: datetime
) -> tuple[dict[str, _Row], dict[str, FlapState]]:
    """The active alarm of each key, and the flapping window the key's last cleared alarm
    left open (only alarms whose window opened after ``since`` can still matter)."""
    active: dict[str, _Row] = {}
    history: dict[str, FlapState] = {}
    c = ALARMS.c
    wanted = list(keys)
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        rows = session.execute(
            select(
                c.pk,
                c.id,
                c.reduction_key,
                c.state,
                c.perceived_severity,
                c.count,
                c.last_occurred_at,
                c.changed_at,
                c.cleared_at,
                c.flapping,
                c.transitions,
                c.transitions_since,
                c.flap_cleared_at,
                c.alarmed_object_id,
                c.is_root_cause,
            ).where(
                c.reduction_key.in_(chunk),
                or_(c.state != "cleared", c.transitions_since >= since),
            )
        )
        for row in rows:
            if row.state != "cleared":
                active[row.reduction_key] = _Row(*tuple(row))  # same order as _Row
                continue
            # the key's latest window; inside one window, the most transitions (the last)
            state = FlapState(row.transitions_since, row.transitions)
            previous = history.get(row.reduction_key)
            if previous is None or _later(state, previous):
                history[row.reduction_key] = state
    return active, history


def _later(state: FlapState, than: FlapState) -> bool:
    if state.since is None or than.since is None:  # loaded rows always have a window
        return than.since is None
    return (state.since, state.transitions) > (than.since, than.transitions)


def _apply(
    batch: _Batch, signals: list[AlarmSignal], active: _Row | None, history: FlapState
) -> None:
    """One key's signals, in the order they came."""
    for signal in signals:
        if signal.clears:
            active, history = _clear(batch, signal, active, history)
        elif active is None:
            active = _raise(batch, signal, history)
        else:
            _repeat(batch, signal, active)


def _raise(batch: _Batch, signal: AlarmSignal, history: FlapState) -> _Row:
    at = signal.occurred_at
    flap = transition(carried(history, at=at, rule=batch.rule), at=at, rule=batch.rule)
    alarm_id = new_id()
    row = _Row(
        pk=None,
        id=alarm_id,
        reduction_key=signal.reduction_key,
        state="raised",
        perceived_severity=signal.perceived_severity,
        count=1,
        last_occurred_at=at,
        changed_at=batch.now,
        cleared_at=None,
        flapping=False,
        transitions=0,
        transitions_since=None,
        flap_cleared_at=None,
        alarmed_object_id=signal.alarmed_object_id,
        is_root_cause=False,
    )
    row.set_flap(flap, batch.rule)
    row.insert_values = _insert_values(signal, alarm_id)
    batch.new.append(row)
    batch.raised.append(alarm_id)
    batch.events.append(
        AlarmRaised(
            alarm_id=alarm_id,
            reduction_key=signal.reduction_key,
            perceived_severity=signal.perceived_severity,
            alarmed_object_id=signal.alarmed_object_id,
            occurred_at=at,
        )
    )
    return row


def _repeat(batch: _Batch, signal: AlarmSignal, row: _Row) -> None:
    """Another occurrence of an active alarm's problem."""
    batch.duplicates += 1
    row.count += 1
    row.last_occurred_at = max(row.last_occurred_at, signal.occurred_at)
    row.changed_at = batch.now
    row.dirty = True
    if row.flap_cleared_at is not None:  # a flapping alarm's source is down again
        row.flap_cleared_at = None
        row.set_flap(transition(row.flap, at=signal.occurred_at, rule=batch.rule), batch.rule)
    if is_worse(signal.perceived_severity, row.perceived_severity):
        row.perceived_severity = signal.perceived_severity
        if row.pk is not None:  # an alarm raised by this batch is still just "raised"
            row.state = "updated"
            batch.updated[row.id] = None


def _clear(
    batch: _Batch, signal: AlarmSignal, row: _Row | None, history: FlapState
) -> tuple[_Row | None, FlapState]:
    """A clear: the active alarm of the key clears, unless the key is flapping (it stays
    active, flagged). Returns the key's active alarm and flapping history afterwards."""
    if row is None or row.flap_cleared_at is not None:
        batch.ignored_clears += 1
        return row, history
    at = signal.occurred_at
    flap = transition(row.flap, at=at, rule=batch.rule)
    row.set_flap(flap, batch.rule)
    row.changed_at = batch.now
    row.dirty = True
    if row.flapping:
        row.flap_cleared_at = at
        return row, history
    row.state = "cleared"
    row.cleared_at = at
    batch.updated.pop(row.id, None)
    batch.cleared.append(row.id)
    batch.events.append(
        AlarmCleared(
            alarm_id=row.id,
            reduction_key=row.reduction_key,
            alarmed_object_id=row.alarmed_object_id,
            is_root_cause=row.is_root_cause,
            occurred_at=at,
        )
    )
    return None, flap


def _insert_values(signal: AlarmSignal, alarm_id: str) -> dict[str, Any]:
    """The columns a new alarm takes from its first signal (the rest come from its _Row)."""
    return {
        "id": alarm_id,
        "reduction_key": signal.reduction_key,
        "source": signal.source,
        "alarm_type": signal.alarm_type,
        "probable_cause": signal.probable_cause,
        "specific_problem": signal.specific_problem,
        "alarmed_object_id": signal.alarmed_object_id,
        "alarmed_object_type": signal.alarmed_object_type,
        "resolved": signal.alarmed_object_id is not None,
        "source_address": signal.source_address,
        "external_alarm_id": signal.external_alarm_id,
        "text": signal.text,
        "details": dict(signal.details) if signal.details else None,
        "raised_at": signal.occurred_at,
        "clear_user_id": None,
        "ack_state": "unacknowledged",
        "ack_user_id": None,
        "ack_at": None,
        "is_root_cause": False,
        "parent_alarm_id": None,
        "service_affecting": False,
        "planned_outage": False,
        "impact": None,
    }


def _write(session: Session, batch: _Batch, existing: list[_Row]) -> None:
    """Updates first: a cleared alarm must leave the active-key index before a new alarm of
    the same key is inserted."""
    changed = [row for row in existing if row.dirty]
    if changed:
        statement = (
            update(ALARMS)
            .where(ALARMS.c.pk == bindparam("b_pk"))
            .values({name: bindparam(f"b_{name}") for name in _UPDATED})
        )
        session.execute(
            statement,
            [
                {"b_pk": row.pk, **{f"b_{name}": getattr(row, name) for name in _UPDATED}}
                for row in changed
            ],
        )
    if batch.new:
        session.execute(
            insert(ALARMS),
            [
                {**(row.insert_values or {}), **{name: getattr(row, name) for name in _UPDATED}}
                for row in batch.new
            ],
        )
