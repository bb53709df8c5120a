"""Trouble tickets: the work queue (most urgent first, with SLA countdowns) and one ticket with
its notes, status history, linked alarm and customers.

Notes and status moves go through ``assurance.patch_ticket`` with the merge patch TMF621's
PATCH /troubleTicket/{id} would send, so the lifecycle and SLA rules are the API's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss import assurance, party
from ossbss.console import roles
from ossbss.console.web import Web, form_values
from ossbss.iam import Principal
from ossbss.kernel.errors import Conflict, DomainError, InvalidInput

PAGE = 50
OPEN = ("acknowledged", "inProgress", "pending", "held")
PRIORITIES = ("P1", "P2", "P3", "P4")
# How soon a due time counts as near (the queue's amber), beside the policy's near-breach flag.
NEAR_BREACH_SECONDS = 30 * 60


def countdown(seconds: int | None) -> str:
    """``1h 05m left`` / ``overdue 12m`` from the SLA's remaining seconds."""
    if seconds is None:
        return "—"
    span = timedelta(seconds=abs(seconds))
    hours, rest = divmod(int(span.total_seconds()), 3600)
    minutes = rest // 60
    days, hours = divmod(hours, 24)
    text = f"{days}d {hours}h" if days else f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
    return f"{text} left" if seconds >= 0 else f"overdue {text}"


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: str  # "open" (every open status) or one status
    priority: str | None
    breached: bool | None
    offset: int

    def statuses(self) -> tuple[str, ...]:
        return OPEN if self.status == "open" else (self.status,)

    def query(self) -> str:
        pairs = [("status", self.status)]
        if self.priority:
            pairs.append(("priority", self.priority))
        if self.breached is not None:
            pairs.append(("breached", "true" if self.breached else "false"))
        return urlencode(pairs)


def queue_filter(request: Request) -> QueueFilter:
    params = request.query_params
    status = params.get("status") or "open"
    if status != "open" and status not in assurance.TICKET_STATUSES:
        raise InvalidInput("Unknown status", field="status", detail=status)
    priority = params.get("priority") or None
    if priority is not None and priority not in PRIORITIES:
        raise InvalidInput("Unknown priority", field="priority", detail=priority)
    raw = params.get("breached") or ""
    breached = {"true": True, "false": False}.get(raw)
    offset = params.get("offset") or "0"
    return QueueFilter(
        status=status,
        priority=priority,
        breached=breached,
        offset=int(offset) if offset.isdigit() else 0,
    )


@dataclass(frozen=True, slots=True)
class QueueView:
    total: int
    tickets: list[dict[str, Any]]
    customers: dict[str, str | None]  # customer id -> name, for the page's tickets
    due: list[assurance.DueTicket]  # running clocks due within the hour, not yet missed
    breached: int  # open tickets with a missed due time
    filters: QueueFilter


def load_queue(session: Session, filters: QueueFilter, now: datetime) -> QueueView:
    total, tickets = assurance.ticket_queue(
        session,
        now=now,
        statuses=filters.statuses(),
        priority=filters.priority,
        breached=filters.breached,
        offset=filters.offset,
        limit=PAGE,
    )
    ids = {ref["id"] for ticket in tickets for ref in customers_of(ticket)}
    # the breached ones can be many: counted here, listed by the breached filter
    due = assurance.tickets_near_breach(session, now=now, within=timedelta(hours=1))
    breached, _ = assurance.ticket_queue(session, now=now, statuses=OPEN, breached=True, limit=1)
    return QueueView(
        total=total,
        tickets=tickets,
        customers=party.customer_names(session, customer_ids=ids),
        due=due[:10],
        breached=breached,
        filters=filters,
    )


def customers_of(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        ref
        for ref in ticket.get("relatedParty") or ()
        if isinstance(ref, dict) and ref.get("@referredType") == "Customer" and ref.get("id")
    ]


def alarms_of(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        ref
        for ref in ticket.get("relatedEntity") or ()
        if isinstance(ref, dict) and ref.get("@referredType") == "Alarm" and ref.get("id")
    ]


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: dict[str, Any]
    customers: list[tuple[str, str]]  # (id, name)
    alarms: list[dict[str, Any]]
    moves: list[str]  # the statuses the ticket may move to now


def load_ticket(session: Session, ticket_id: str, now: datetime) -> TicketView:
    ticket = assurance.get_ticket(session, ticket_id=ticket_id, now=now)
    refs = customers_of(ticket)
    names = party.customer_names(session, customer_ids=[ref["id"] for ref in refs])
    return TicketView(
        ticket=ticket,
        customers=[
            (ref["id"], names.get(ref["id"]) or ref.get("name") or ref["id"]) for ref in refs
        ],
        alarms=alarms_of(ticket),
        moves=[  # in lifecycle order: taking work forward first, giving up last
            status
            for status in assurance.TICKET_STATUSES
            if status in assurance.ticket_moves(str(ticket.get("status")))
        ],
    )


def add_note(session: Session, viewer: Principal, now: datetime, ticket_id: str, text: str) -> None:
    if not text:
        raise InvalidInput("Empty note", field="note", detail="write something")
    assurance.patch_ticket(
        session,
        ticket_id=ticket_id,
        patch={"note": [{"text": text}]},
        now=now,
        author=viewer.username,
    )


def move(
    session: Session, viewer: Principal, now: datetime, ticket_id: str, values: dict[str, str]
) -> None:
    status = values.get("status", "")
    if not status:
        raise InvalidInput("No status chosen", field="status")
    patch: dict[str, Any] = {"status": status}
    if values.get("reason"):
        patch["statusChangeReason"] = values["reason"]
    assurance.patch_ticket(
        session, ticket_id=ticket_id, patch=patch, now=now, author=viewer.username
    )


def register(router: APIRouter, web: Web) -> None:
    @router.get("/tickets")
    async def queue(request: Request) -> Response:
        filters = queue_filter(request)
        now = web.clock.now()
        view = await web.read(request, roles.STAFF, lambda s, viewer: load_queue(s, filters, now))
        return web.render(
            request,
            "tickets/queue.html",
            view=view,
            countdown=countdown,
            statuses=assurance.TICKET_STATUSES,
            priorities=PRIORITIES,
            page=PAGE,
        )

    async def detail(
        request: Request, ticket_id: str, *, error: DomainError | None = None, status: int = 200
    ) -> Response:
        now = web.clock.now()
        view = await web.read(
            request, roles.STAFF, lambda s, viewer: load_ticket(s, ticket_id, now)
        )
        return web.render(
            request,
            "tickets/detail.html",
            status=status,
            view=view,
            countdown=countdown,
            error=error,
        )

    @router.get("/tickets/{ticket_id}")
    async def ticket(request: Request, ticket_id: str) -> Response:
        return await detail(request, ticket_id)

    @router.post("/tickets/{ticket_id}/notes")
    async def note(request: Request, ticket_id: str) -> Response:
        values = form_values(await request.form())
        await web.write(
            request,
            roles.TICKET_WORKERS,
            lambda s, viewer, now: add_note(s, viewer, now, ticket_id, values.get("note", "")),
        )
        return web.redirect(request, f"/tickets/{ticket_id}", notice="Note added")

    @router.post("/tickets/{ticket_id}/status")
    async def status(request: Request, ticket_id: str) -> Response:
        values = form_values(await request.form())
        try:
            await web.write(
                request,
                roles.TICKET_WORKERS,
                lambda s, viewer, now: move(s, viewer, now, ticket_id, values),
            )
        except Conflict as exc:
            # a move the lifecycle refuses: the ticket again, with the reason
            return await detail(request, ticket_id, error=exc, status=409)
        return web.redirect(
            request, f"/tickets/{ticket_id}", notice=f"Moved to {values.get('status')}"
        )
