"""A ticket row as clients see it: the stored TMF621 document, plus its SLA computed as of the
moment of reading (so a GET is right without any sweep having run)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ossbss.assurance.tickets import domain
from ossbss.assurance.tickets.models import TroubleTicket
from ossbss.assurance.tickets.resource import TROUBLE_TICKET
from ossbss.kernel.time import format_datetime

Document = dict[str, Any]


def sla_of(row: TroubleTicket) -> domain.SlaState:
    return domain.sla_state(
        domain.Timers(row.respond_by, row.resolve_by),
        responded_at=row.responded_at,
        ended_at=row.ended_at,
    )


def sla_view(row: TroubleTicket, *, now: datetime, near: timedelta) -> Document:
    """The ``sla`` extension: due times, whether each was missed, time left while running."""
    state = sla_of(row)
    view: Document = {"@type": "TroubleTicketSla", "priority": row.priority}
    if row.respond_by is not None:
        view["respondBy"] = format_datetime(row.respond_by)
    if row.responded_at is not None:
        view["respondedAt"] = format_datetime(row.responded_at)
    if row.resolve_by is not None:
        view["resolveBy"] = format_datetime(row.resolve_by)
    view["respondBreached"] = state.respond.breached(now)
    view["resolveBreached"] = state.resolve.breached(now)
    view["breached"] = state.breached(now)
    view["nearBreach"] = state.near_breach(now, near)
    for name, clock in (("respond", state.respond), ("resolve", state.resolve)):
        left = clock.remaining(now)
        if left is not None:
            view[f"{name}RemainingSeconds"] = int(left.total_seconds())
    return view


def render(row: TroubleTicket, *, now: datetime, near: timedelta) -> Document:
    return {
        "id": row.id,
        "href": f"{TROUBLE_TICKET.path}/{row.id}",
        **row.body,
        "sla": sla_view(row, now=now, near=near),
    }
