"""The NOC's reads of active alarms: the live board (root causes first, worst first, bounded),
one alarm with its grouped children and ticket, the alarms on a set of resources, and the
worst active severity per alarmed object (the topology's colours).

Pure reads, a few bounded queries each whatever the number of alarms.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from ossbss.assurance.alarm_queries import get_alarm
from ossbss.assurance.figures import alarm_counts
from ossbss.assurance.models import Alarm
from ossbss.assurance.signals import CLEARED, SEVERITIES
from ossbss.assurance.tickets.models import TroubleTicket
from ossbss.kernel.errors import InvalidInput

# The most alarms a board shows (the worst ones): a flood must not make the page slow.
BOARD_LIMIT = 200
# The states of an active alarm, named (not "<> cleared") so the state index can serve the
# query however many cleared alarms history holds.
ACTIVE = ("raised", "updated")
ACK_STATES = ("acknowledged", "unacknowledged")
# critical = 0 ... indeterminate = 4: sorting by it puts the worst first.
_RANK = case(
    {severity: rank for rank, severity in enumerate(SEVERITIES)},
    value=Alarm.perceived_severity,
    else_=len(SEVERITIES),
)


@dataclass(frozen=True, slots=True)
class BoardAlarm:
    """An active alarm as a row of the board."""

    id: str
    severity: str
    state: str
    ack_state: str
    probable_cause: str
    specific_problem: str | None
    alarmed_object_id: str | None
    alarmed_object_type: str | None
    raised_at: datetime
    changed_at: datetime
    count: int
    is_root_cause: bool
    service_affecting: bool
    planned_outage: bool
    parent_alarm_id: str | None
    children: int  # alarms grouped under this one
    customers: tuple[tuple[str, str], ...]  # (id, name) of the customers a root hurts


@dataclass(frozen=True, slots=True)
class Board:
    total: int  # active alarms matching the filters (the board shows at most ``limit``)
    alarms: list[BoardAlarm]
    counts: dict[str, int]  # active alarms per severity (all, whatever the filters)


@dataclass(frozen=True, slots=True)
class AlarmDetail:
    document: dict[str, Any]  # the TMF642 Alarm (comments, parent, affected services ...)
    children: list[BoardAlarm]
    ticket_id: str | None  # the ticket opened for this alarm, if any
    services: list[tuple[str, str]]  # (id, name) of the services a root hurts


def alarm_board(
    session: Session,
    *,
    severities: Collection[str] = (),
    ack_state: str | None = None,
    grouped: bool = False,
    limit: int = BOARD_LIMIT,
) -> Board:
    """Active alarms, root causes first, then by severity (worst first), newest first;
    ``grouped`` False leaves out the alarms correlation grouped under a root (they are
    counted on it)."""
    unknown = [severity for severity in severities if severity not in SEVERITIES]
    if unknown:
        raise InvalidInput("Unknown severity", field="severity", detail=", ".join(unknown))
    if ack_state is not None and ack_state not in ACK_STATES:
        raise InvalidInput("Unknown ack state", field="ack", detail=" or ".join(ACK_STATES))
    conditions: list[ColumnElement[bool]] = [Alarm.state.in_(ACTIVE)]
    if severities:
        conditions.append(Alarm.perceived_severity.in_(list(severities)))
    if ack_state is not None:
        conditions.append(Alarm.ack_state == ack_state)
    if not grouped:
        conditions.append(Alarm.parent_alarm_id.is_(None))
    total = session.scalar(select(func.count()).select_from(Alarm).where(*conditions)) or 0
    rows = list(
        session.scalars(
            select(Alarm)
            .where(*conditions)
            .order_by(Alarm.is_root_cause.desc(), _RANK, Alarm.raised_at.desc(), Alarm.pk.desc())
            .limit(max(1, min(limit, BOARD_LIMIT)))
        )
    )
    return Board(total=total, alarms=_rows(session, rows), counts=alarm_counts(session))


def alarm_detail(session: Session, *, alarm_id: str) -> AlarmDetail:
    """One alarm as TMF642 shows it, its grouped children (worst first, at most BOARD_LIMIT)
    and its ticket."""
    document = get_alarm(session, alarm_id=alarm_id)
    children = list(
        session.scalars(
            select(Alarm)
            .where(Alarm.parent_alarm_id == alarm_id)
            .order_by(Alarm.state == CLEARED, _RANK, Alarm.pk)
            .limit(BOARD_LIMIT)
        )
    )
    ticket_id = session.scalar(select(TroubleTicket.id).where(TroubleTicket.alarm_id == alarm_id))
    impact = session.scalar(select(Alarm.impact).where(Alarm.id == alarm_id)) or {}
    services = [
        (str(entry["id"]), str(entry.get("name") or entry["id"]))
        for entry in impact.get("services") or ()
        if isinstance(entry, dict) and entry.get("id")
    ]
    return AlarmDetail(
        document=document,
        children=_rows(session, children),
        ticket_id=ticket_id,
        services=services,
    )


def alarms_on(
    session: Session, *, object_ids: Collection[str], limit: int = BOARD_LIMIT
) -> list[BoardAlarm]:
    """Active alarms raised on any of ``object_ids`` (a device and its ports), worst first."""
    if not object_ids:
        return []
    rows = list(
        session.scalars(
            select(Alarm)
            .where(Alarm.alarmed_object_id.in_(list(object_ids)), Alarm.state.in_(ACTIVE))
            .order_by(_RANK, Alarm.raised_at.desc(), Alarm.pk.desc())
            .limit(limit)
        )
    )
    return _rows(session, rows)


def worst_severities(session: Session) -> dict[str, str]:
    """Alarmed object id -> the worst severity among its active alarms (one grouped query)."""
    rows = session.execute(
        select(Alarm.alarmed_object_id, func.min(_RANK))
        .where(Alarm.state.in_(ACTIVE), Alarm.alarmed_object_id.is_not(None))
        .group_by(Alarm.alarmed_object_id)
    )
    return {
        str(object_id): SEVERITIES[rank]
        for object_id, rank in rows
        if rank is not None and rank < len(SEVERITIES)
    }


def _rows(session: Session, alarms: list[Alarm]) -> list[BoardAlarm]:
    children = _children_counts(session, [alarm.id for alarm in alarms if alarm.is_root_cause])
    return [_row(alarm, children.get(alarm.id, 0)) for alarm in alarms]


def _children_counts(session: Session, parent_ids: list[str]) -> dict[str, int]:
    if not parent_ids:
        return {}
    rows = session.execute(
        select(Alarm.parent_alarm_id, func.count())
        .where(Alarm.parent_alarm_id.in_(parent_ids), Alarm.state.in_(ACTIVE))
        .group_by(Alarm.parent_alarm_id)
    )
    return {str(parent): int(count) for parent, count in rows}


def _row(alarm: Alarm, children: int) -> BoardAlarm:
    customers = tuple(
        (str(entry.get("id")), str(entry.get("name") or entry.get("id")))
        for entry in (alarm.impact or {}).get("customers") or ()
        if isinstance(entry, dict) and entry.get("id")
    )
    return BoardAlarm(
        id=alarm.id,
        severity=alarm.perceived_severity,
        state=alarm.state,
        ack_state=alarm.ack_state,
        probable_cause=alarm.probable_cause,
        specific_problem=alarm.specific_problem,
        alarmed_object_id=alarm.alarmed_object_id,
        alarmed_object_type=alarm.alarmed_object_type,
        raised_at=alarm.raised_at,
        changed_at=alarm.changed_at,
        count=alarm.count,
        is_root_cause=alarm.is_root_cause,
        service_affecting=alarm.service_affecting,
        planned_outage=alarm.planned_outage,
        parent_alarm_id=alarm.parent_alarm_id,
        children=children,
        customers=customers,
    )
