"""The SLA sweep: tells hub subscribers, once per timer, that a ticket missed its respond-by
or resolve-by time (TroubleTicketAttributeValueChangeEvent with ``sla.breached``).

Reads never depend on it: a ticket's ``sla`` is computed as of the moment it is read. The
sweep only turns the passing of time into a notification; `serve`/`worker` may run it every
OSSBSS_TICKET_SLA_SWEEP_SECONDS with ``SlaSweep``, and ``ossbss assurance tickets sweep`` runs
it once (cron).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ossbss.assurance.tickets.listing import at_param
from ossbss.assurance.tickets.models import TroubleTicket
from ossbss.assurance.tickets.render import render
from ossbss.assurance.tickets.service import notify
from ossbss.assurance.tickets.wiring import current_policy
from ossbss.kernel import Clock, Database
from ossbss.kernel.periodic import Periodic

log = logging.getLogger(__name__)


def sweep_sla(session: Session, *, now: datetime) -> list[str]:
    """Mark the breaches nobody was told about yet and notify them; returns the ticket ids."""
    t = TroubleTicket
    respond_missed = and_(
        t.respond_by.is_not(None),
        t.respond_by < _coalesce(t.responded_at, now),
        t.respond_breach_notified.is_(False),
    )
    resolve_missed = and_(
        t.resolve_by.is_not(None),
        t.resolve_by < _coalesce(t.ended_at, now),
        t.resolve_breach_notified.is_(False),
    )
    query = select(t).where(or_(respond_missed, resolve_missed)).order_by(t.pk)
    if session.get_bind().dialect.name == "postgresql":
        # sweeps in several processes: each breach is claimed (and notified) by one of them
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    near = current_policy().near_breach
    for row in rows:
        respond = row.respond_by is not None and row.respond_by < (row.responded_at or now)
        resolve = row.resolve_by is not None and row.resolve_by < (row.ended_at or now)
        session.execute(
            update(t)
            .where(t.pk == row.pk)
            .values(
                respond_breach_notified=row.respond_breach_notified or respond,
                resolve_breach_notified=row.resolve_breach_notified or resolve,
            )
        )
        notify(session, "AttributeValueChange", render(row, now=now, near=near), now)
    return [row.id for row in rows]


def _coalesce(column: Any, now: datetime) -> Any:
    return func.coalesce(column, at_param(now))


class SlaSweep(Periodic):
    """``sweep_sla`` every ``interval`` seconds on a thread of its own."""

    def __init__(self, database: Database, clock: Clock, *, interval: float = 60.0) -> None:
        super().__init__(interval=interval, name="ticket-sla-sweep")
        self._database = database
        self._clock = clock

    def run(self) -> None:
        with self._database.unit_of_work() as session:
            swept = sweep_sla(session, now=self._clock.now())
        if swept:
            log.info("ticket SLA sweep: %d breach(es) notified", len(swept))
