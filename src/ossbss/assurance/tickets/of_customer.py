"""A customer's own tickets (self-care): the customer condition (the ticket's relatedParty
reference index) is part of every query, so another customer's ticket is simply not found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.assurance.tickets.models import TroubleTicket
from ossbss.assurance.tickets.render import Document, render
from ossbss.assurance.tickets.resource import TROUBLE_TICKET
from ossbss.assurance.tickets.wiring import current_policy
from ossbss.kernel.errors import NotFound
from ossbss.tmf import RefIndex


def _of_customer(customer_id: str) -> Any:
    refs = select(RefIndex.resource_pk).where(
        RefIndex.resource == TROUBLE_TICKET.name,
        RefIndex.path == "relatedParty.id",
        RefIndex.value == customer_id,
    )
    return TroubleTicket.pk.in_(refs)


def tickets_of_customer(
    session: Session, *, customer_id: str, now: datetime, offset: int = 0, limit: int = 20
) -> tuple[int, list[Document]]:
    """(how many, one page) of the tickets naming ``customer_id``, newest first."""
    scope = _of_customer(customer_id)
    total = session.scalar(select(func.count()).select_from(TroubleTicket).where(scope))
    rows = session.scalars(
        select(TroubleTicket)
        .where(scope)
        .order_by(TroubleTicket.pk.desc())
        .offset(offset)
        .limit(limit)
    )
    near = current_policy().near_breach
    return int(total or 0), [render(row, now=now, near=near) for row in rows]


def ticket_of_customer(
    session: Session, *, ticket_id: str, customer_id: str, now: datetime
) -> Document:
    """The ticket ``ticket_id`` if it names ``customer_id``; NotFound otherwise."""
    row = session.scalars(
        select(TroubleTicket).where(TroubleTicket.id == ticket_id, _of_customer(customer_id))
    ).one_or_none()
    if row is None:
        raise NotFound("Ticket not found", detail=ticket_id)
    return render(row, now=now, near=current_policy().near_breach)
