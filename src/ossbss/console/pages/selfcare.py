"""The self-care portal (/my): a subscriber's products, usage, balance, bills and their PDFs,
card payments, plan changes and tickets. Every page is for roles.CUSTOMER only and reads
through selfcare_data, which scopes each query to the signed-in subscriber (another
subscriber's bill, product or ticket is a 404, as if it did not exist)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from ossbss import billing, payment
from ossbss.console import roles
from ossbss.console.pages import selfcare_data as data
from ossbss.console.web import Web, form_values
from ossbss.kernel.errors import Conflict, InvalidInput

PDF = "application/pdf"


def _key() -> str:
    """A fresh key for one form: its submissions are one payment, one order."""
    return secrets.token_urlsafe(16)


def _offset(raw: str) -> int:
    return int(raw) if raw.isdigit() else 0


def register(router: APIRouter, web: Web) -> None:
    @router.get("/my")
    async def home(request: Request) -> Response:
        view = await web.read(
            request,
            roles.CUSTOMER,
            lambda s, viewer: data.overview(s, data.subscriber(s, viewer), now=web.clock.now()),
        )
        return web.render(request, "my/home.html", view=view)

    # -- bills --------------------------------------------------------------------------------

    @router.get("/my/bills")
    async def bills(request: Request, offset: str = "0") -> Response:
        start = _offset(offset)
        total, rows = await web.read(
            request,
            roles.CUSTOMER,
            lambda s, viewer: data.bills(s, data.subscriber(s, viewer), offset=start),
        )
        return web.render(
            request, "my/bills.html", bills=rows, total=total, offset=start, limit=data.PAGE
        )

    async def bill_page(
        request: Request, bill_id: str, *, status: int = 200, **context: Any
    ) -> Response:
        view = await web.read(
            request,
            roles.CUSTOMER,
            lambda s, viewer: data.bill(s, data.subscriber(s, viewer), bill_id=bill_id),
        )
        return web.render(
            request,
            "my/bill.html",
            status=status,
            view=view,
            payment_key=_key(),
            cards=data.DEMO_CARDS,
            open_states=billing.OPEN_STATES,
            **context,
        )

    @router.get("/my/bills/{bill_id}")
    async def bill(request: Request, bill_id: str) -> Response:
        return await bill_page(request, bill_id)

    @router.get("/my/bills/{bill_id}/document")
    async def document(request: Request, bill_id: str) -> Response:
        found = await web.read(
            request,
            roles.CUSTOMER,
            lambda s, viewer: data.bill(s, data.subscriber(s, viewer), bill_id=bill_id).bill,
        )

        # Only the subscriber's own issued bill gets here; its document is kept once made.
        pdf = await run_in_threadpool(
            lambda: billing.render_on_demand(web.database, clock=web.clock, bill_id=found.id)
        )
        name = found.bill_no or found.id
        headers = {"Content-Disposition": f'inline; filename="bill-{name}.pdf"'}
        return web.finish(request, Response(pdf, media_type=PDF, headers=headers))

    @router.post("/my/bills/{bill_id}/pay")
    async def pay(request: Request, bill_id: str) -> Response:
        form = form_values(await request.form())
        try:
            outcome = await web.write(
                request,
                roles.CUSTOMER,
                lambda s, viewer, now: data.pay_bill(
                    s,
                    data.subscriber(s, viewer),
                    bill_id=bill_id,
                    form=form,
                    now=now,
                    gateway=payment.current_gateway(),
                ),
            )
        except InvalidInput as exc:
            return await bill_page(
                request, bill_id, status=400, error=exc, amount=form.get("amount", "")
            )
        except IntegrityError:
            # The same form submitted twice at once: the other submission is the payment.
            return web.redirect(
                request, f"/my/bills/{bill_id}", notice="This payment was already sent."
            )
        if not outcome.approved:
            declined = InvalidInput(
                "Your card was declined",
                field="card",
                detail=f"{outcome.reason or 'declined'}. Nothing was charged; try another card.",
            )
            return await bill_page(
                request, bill_id, status=402, error=declined, amount=form.get("amount", "")
            )
        notice = "Thank you, your payment was received."
        if outcome.duplicate:
            notice = "This payment was already made; nothing was charged again."
        return web.redirect(request, f"/my/bills/{bill_id}", notice=notice)

    # -- plan changes -------------------------------------------------------------------------

    async def plan_page(request: Request, *, status: int = 200, **context: Any) -> Response:
        def load(s: Any, viewer: Any) -> tuple[list[data.PlanChoice], list[data.Document]]:
            who = data.subscriber(s, viewer)
            return data.plan_choices(s, who, now=web.clock.now()), data.recent_orders(s, who)

        choices, orders = await web.read(request, roles.CUSTOMER, load)
        return web.render(
            request,
            "my/plan.html",
            status=status,
            choices=choices,
            orders=orders,
            order_key=_key(),
            **context,
        )

    @router.get("/my/plan")
    async def plan(request: Request) -> Response:
        return await plan_page(request)

    @router.post("/my/plan")
    async def change_plan(request: Request) -> Response:
        form = form_values(await request.form())
        try:
            await web.write(
                request,
                roles.CUSTOMER,
                lambda s, viewer, now: data.change_plan(
                    s, data.subscriber(s, viewer), form=form, now=now
                ),
            )
        except (InvalidInput, Conflict) as exc:
            return await plan_page(
                request, status=400 if isinstance(exc, InvalidInput) else 409, error=exc
            )
        return web.redirect(
            request, "/my/plan", notice="Your plan change is ordered. Its progress shows below."
        )

    # -- tickets ------------------------------------------------------------------------------

    @router.get("/my/tickets")
    async def tickets(request: Request, offset: str = "0") -> Response:
        start = _offset(offset)
        total, rows = await web.read(
            request,
            roles.CUSTOMER,
            lambda s, viewer: data.tickets(
                s, data.subscriber(s, viewer), now=web.clock.now(), offset=start
            ),
        )
        return web.render(
            request, "my/tickets.html", tickets=rows, total=total, offset=start, limit=data.PAGE
        )

    async def new_ticket_page(request: Request, *, status: int = 200, **context: Any) -> Response:
        owned = await web.read(
            request,
            roles.CUSTOMER,
            lambda s, viewer: data.products(s, data.subscriber(s, viewer)),
        )
        return web.render(
            request,
            "my/ticket_new.html",
            status=status,
            products=owned,
            severities=data.TICKET_SEVERITIES,
            values=context.pop("values", {}),
            **context,
        )

    @router.get("/my/tickets/new")
    async def new_ticket(request: Request, product: str = "") -> Response:
        return await new_ticket_page(request, values={"product_id": product})

    @router.post("/my/tickets/new")
    async def open_ticket(request: Request) -> Response:
        form = form_values(await request.form())
        try:
            created = await web.write(
                request,
                roles.CUSTOMER,
                lambda s, viewer, now: data.open_ticket(
                    s, data.subscriber(s, viewer), form=form, now=now, author=viewer.username
                ),
            )
        except InvalidInput as exc:
            return await new_ticket_page(request, status=400, error=exc, values=form)
        return web.redirect(
            request,
            f"/my/tickets/{created['id']}",
            notice="Your ticket is open: we will keep you posted here.",
        )

    async def ticket_page(
        request: Request, ticket_id: str, *, status: int = 200, **context: Any
    ) -> Response:
        found = await web.read(
            request,
            roles.CUSTOMER,
            lambda s, viewer: data.ticket(
                s, data.subscriber(s, viewer), ticket_id=ticket_id, now=web.clock.now()
            ),
        )
        return web.render(request, "my/ticket.html", status=status, ticket=found, **context)

    @router.get("/my/tickets/{ticket_id}")
    async def ticket(request: Request, ticket_id: str) -> Response:
        return await ticket_page(request, ticket_id)

    @router.post("/my/tickets/{ticket_id}/notes")
    async def add_note(request: Request, ticket_id: str) -> Response:
        form = form_values(await request.form())
        try:
            await web.write(
                request,
                roles.CUSTOMER,
                lambda s, viewer, now: data.note_ticket(
                    s,
                    data.subscriber(s, viewer),
                    ticket_id=ticket_id,
                    text=form.get("text", ""),
                    now=now,
                    author=viewer.username,
                ),
            )
        except InvalidInput as exc:
            return await ticket_page(request, ticket_id, status=400, error=exc)
        return web.redirect(request, f"/my/tickets/{ticket_id}", notice="Your note was added.")
