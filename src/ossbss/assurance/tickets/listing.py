"""Listing tickets: the TMF630 filters (any attribute; indexed columns and relatedParty.id /
relatedEntity.id first), sorting and paging, plus the SLA extension filters computed as of
now: ``slaBreached=true|false`` and ``slaDueWithin=<duration>`` (near breach)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from ossbss.assurance.tickets import domain
from ossbss.assurance.tickets.models import TroubleTicket
from ossbss.assurance.tickets.render import Document, render, sla_of
from ossbss.assurance.tickets.resource import TROUBLE_TICKET
from ossbss.assurance.tickets.wiring import current_policy
from ossbss.kernel.db import UTCDateTime
from ossbss.kernel.errors import InvalidInput
from ossbss.tmf import ListQuery, parse_list_query
from ossbss.tmf.filters import compile_filter, compile_sort

SLA_BREACHED = "slaBreached"
SLA_DUE_WITHIN = "slaDueWithin"


@dataclass(frozen=True)
class TicketQuery:
    tmf: ListQuery
    sla_breached: bool | None = None
    due_within: timedelta | None = None


def parse_ticket_query(params: Iterable[tuple[str, str]]) -> TicketQuery:
    standard: list[tuple[str, str]] = []
    breached: bool | None = None
    within: timedelta | None = None
    for name, raw in params:
        if name == SLA_BREACHED:
            if raw not in ("true", "false"):
                raise InvalidInput("Invalid filter value", field=name, detail="true or false")
            breached = raw == "true"
        elif name == SLA_DUE_WITHIN:
            within = domain.parse_duration(raw, field=name)
        else:
            standard.append((name, raw))
    return TicketQuery(parse_list_query(standard), breached, within)


def at_param(now: datetime) -> Any:
    return literal(now, UTCDateTime())


def breached_condition(now: datetime) -> ColumnElement[bool]:
    """domain.Clock.breached in SQL: due before the clock stopped (or before now)."""
    t = TroubleTicket
    return or_(
        and_(
            t.respond_by.is_not(None), t.respond_by < func.coalesce(t.responded_at, at_param(now))
        ),
        and_(t.resolve_by.is_not(None), t.resolve_by < func.coalesce(t.ended_at, at_param(now))),
    )


def near_breach_condition(now: datetime, within: timedelta) -> ColumnElement[bool]:
    """domain.SlaState.near_breach in SQL: a running clock due in [now, now + within] and
    neither clock missed yet."""
    t = TroubleTicket
    soon = at_param(now + within)
    return and_(
        not_(breached_condition(now)),
        or_(
            and_(t.responded_at.is_(None), t.respond_by >= at_param(now), t.respond_by <= soon),
            and_(t.ended_at.is_(None), t.resolve_by >= at_param(now), t.resolve_by <= soon),
        ),
    )


def list_tickets(
    session: Session, *, query: TicketQuery, now: datetime
) -> tuple[int, list[Document]]:
    table = TroubleTicket.__table__
    dialect = session.get_bind().dialect.name
    conditions: list[Any] = [
        compile_filter(TROUBLE_TICKET, table, flt, dialect)  # type: ignore[arg-type]
        for flt in query.tmf.filters
    ]
    if query.sla_breached is not None:
        breached = breached_condition(now)
        conditions.append(breached if query.sla_breached else not_(breached))
    if query.due_within is not None:
        conditions.append(near_breach_condition(now, query.due_within))
    total = session.scalar(select(func.count()).select_from(TroubleTicket).where(*conditions))
    order = [
        compile_sort(TROUBLE_TICKET, table, key, dialect)  # type: ignore[arg-type]
        for key in query.tmf.sort
    ]
    rows = session.scalars(
        select(TroubleTicket)
        .where(*conditions)
        .order_by(*order, TroubleTicket.pk)
        .offset(query.tmf.offset)
        .limit(query.tmf.limit)
    )
    near = current_policy().near_breach
    return int(total or 0), [render(row, now=now, near=near) for row in rows]


@dataclass(frozen=True)
class DueTicket:
    """A ticket whose SLA clock is about to run out (or has), for the console."""

    ticket_id: str
    name: str | None
    status: str
    priority: str | None
    severity: str | None
    timer: str  # "respond" or "resolve"
    due_at: datetime
    remaining: timedelta  # negative once breached


def tickets_near_breach(
    session: Session, *, now: datetime, within: timedelta, include_breached: bool = False
) -> list[DueTicket]:
    """Running SLA clocks due within ``within`` (and, asked for, those already missed),
    soonest first."""
    condition = near_breach_condition(now, within)
    if include_breached:
        condition = or_(condition, and_(breached_condition(now), _running()))
    rows = session.scalars(select(TroubleTicket).where(condition).order_by(TroubleTicket.pk))
    found = []
    for row in rows:
        state = sla_of(row)
        for timer, clock in (("respond", state.respond), ("resolve", state.resolve)):
            left = clock.remaining(now)
            if left is None or clock.due is None or left > within:
                continue
            if left < timedelta(0) and not include_breached:
                continue
            found.append(
                DueTicket(
                    ticket_id=row.id,
                    name=row.body.get("name"),
                    status=row.status,
                    priority=row.priority,
                    severity=row.severity,
                    timer=timer,
                    due_at=clock.due,
                    remaining=left,
                )
            )
            break
    return sorted(found, key=lambda due: due.due_at)


def _running() -> ColumnElement[bool]:
    t = TroubleTicket
    return or_(t.responded_at.is_(None), t.ended_at.is_(None))


# The most tickets one page of the console's queue shows.
QUEUE_LIMIT = 100


def ticket_queue(
    session: Session,
    *,
    now: datetime,
    statuses: Iterable[str] = tuple(sorted(domain.OPEN)),
    priority: str | None = None,
    breached: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[Document]]:
    """The work queue: tickets in ``statuses`` (the open ones by default), most urgent first
    (priority P1 first, then the earliest resolve-by), each with its ``sla`` as of ``now``."""
    wanted = list(statuses)
    unknown = [status for status in wanted if status not in domain.STATUSES]
    if unknown:
        raise InvalidInput("Unknown status", field="status", detail=", ".join(unknown))
    t = TroubleTicket
    conditions: list[ColumnElement[bool]] = [t.status.in_(wanted)]
    if priority:
        conditions.append(t.priority == priority)
    if breached is not None:
        condition = breached_condition(now)
        conditions.append(condition if breached else not_(condition))
    total = session.scalar(select(func.count()).select_from(t).where(*conditions)) or 0
    rows = session.scalars(
        select(t)
        .where(*conditions)
        .order_by(t.priority.is_(None), t.priority, t.resolve_by.is_(None), t.resolve_by, t.pk)
        .offset(max(offset, 0))
        .limit(max(1, min(limit, QUEUE_LIMIT)))
    )
    near = current_policy().near_breach
    return int(total), [render(row, now=now, near=near) for row in rows]
