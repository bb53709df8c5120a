"""What staff do for a customer: onboard one, place a guided order, suspend or resume a
product, record a payment, adjust a bill, open a ticket.

Every action goes through the rooms exactly as an API client would (TMF bodies through
``tmf.create_resource``, or the room's public service), in one transaction of ``Web.write``.
A mistake in a form (a rule's InvalidInput or Conflict) re-renders the form with the error
and what was typed (400/409); success redirects to the customer's 360 page with a notice."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss import account, assurance, billing, catalog, ordering, party, payment, product_inventory
from ossbss.console import roles
from ossbss.console.pages import customer_action_forms as forms
from ossbss.console.web import Web, form_values
from ossbss.iam import Principal
from ossbss.kernel.errors import Conflict, DomainError, InvalidInput, NotFound
from ossbss.kernel.money import Money
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import Document, create_resource, get_resource, list_resources, parse_list_query

T = TypeVar("T")
TEMPLATES = "customers/actions"
OFFERINGS_SHOWN = 200  # a catalog sells tens of offerings; the pick list is bounded anyway
STATUS = {InvalidInput: 400, Conflict: 409}
ONBOARD_LABELS = {
    "givenName": "Given name",
    "familyName": "Family name",
    "email": "E-mail",
    "phone": "Phone",
    "street": "Street and number",
    "postCode": "Post code",
    "city": "City",
    "country": "Country",
    "cycle": "Bill cycle",
}
PAYMENT_METHODS = {
    payment.BANK_TRANSFER: "Bank transfer",
    payment.CASH: "Cash",
    payment.CARD: "Card on file",
}


def register(router: APIRouter, web: Web) -> None:
    _onboarding(router, web)
    _ordering(router, web)
    _status_changes(router, web)
    _payments(router, web)
    _adjustments(router, web)
    _tickets(router, web)


async def _attempt(
    web: Web,
    request: Request,
    allowed: frozenset[str],
    work: Callable[[Session, Principal, datetime], T],
) -> T | DomainError:
    """``web.write``, with a form mistake handed back to show (the CSRF and role refusals and
    a missing customer still become error pages)."""
    try:
        return await web.write(request, allowed, work)
    except (InvalidInput, Conflict) as exc:
        return exc


def _status(error: DomainError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)


# -- the customer and what is theirs ----------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    status: str
    accounts: list[Document]

    @property
    def account_ids(self) -> list[str]:
        return [str(a["id"]) for a in self.accounts]


def load_customer(session: Session, customer_id: str) -> Customer:
    """The customer and their billing accounts: those the customer lists and those the
    customer (or the party it engages) owns. NotFound → the 404 page."""
    document = party.get_customer(session, customer_id=customer_id)
    ids = [str(ref.get("id")) for ref in document.get("account") or [] if ref.get("id")]
    owners = [customer_id, str((document.get("engagedParty") or {}).get("id") or "")]
    for owner in filter(None, owners):
        ids += account.billing_account_ids_owned_by(session, party_id=owner)
    accounts = []
    for account_id in dict.fromkeys(ids):
        try:
            accounts.append(account.get_billing_account(session, account_id=account_id))
        except NotFound:
            continue
    return Customer(
        customer_id,
        str(document.get("name") or customer_id),
        str(document.get("status") or ""),
        accounts,
    )


def _customer_url(customer_id: str) -> str:
    return f"/customers/{customer_id}"


def _pick_account(customer: Customer, account_id: str) -> str:
    if not customer.accounts:
        raise InvalidInput("The customer has no billing account", field="account")
    if not account_id and len(customer.accounts) == 1:
        return customer.account_ids[0]
    if account_id not in customer.account_ids:
        raise InvalidInput("Choose one of the customer's billing accounts", field="account")
    return account_id


def _documents(session: Session, resource: Any, params: list[tuple[str, str]]) -> list[Document]:
    page = list_resources(session, resource=resource, query=parse_list_query(params))
    return [{"id": item_id, **json.loads(body)} for item_id, body in page.items]


# -- 1. onboarding ----------------------------------------------------------------------------


def bill_cycles(session: Session, now: datetime) -> list[Document]:
    """The bill cycles a new account may use (those not ended)."""
    cycles = _documents(
        session, account.BILLING_CYCLE_SPECIFICATION, [("limit", "50"), ("sort", "name")]
    )
    return [c for c in cycles if not _ended(c, now)]


def _ended(document: Mapping[str, Any], now: datetime) -> bool:
    end = (document.get("validFor") or {}).get("endDateTime")
    return bool(end) and parse_datetime(str(end)) <= now


def onboard(session: Session, values: Mapping[str, str], now: datetime) -> str:
    """The individual, their billing account and the customer, in the caller's transaction
    (a refusal of any rolls back all three). Returns the customer id."""
    forms.require(values, forms.ONBOARD_FIELDS, ONBOARD_LABELS)
    try:
        cycle = get_resource(
            session, resource=account.BILLING_CYCLE_SPECIFICATION, resource_id=values["cycle"]
        )
    except NotFound:
        raise InvalidInput("Unknown bill cycle", field="cycle", detail=values["cycle"]) from None
    individual = create_resource(
        session, resource=party.INDIVIDUAL, payload=forms.individual_body(values), now=now
    )
    name = str(individual.get("formattedName") or f"{values['givenName']} {values['familyName']}")
    owner = forms.party_ref(individual["id"], name)
    billing_account = create_resource(
        session,
        resource=account.BILLING_ACCOUNT,
        payload=forms.billing_account_body(name, owner, cycle),
        now=now,
    )
    customer = create_resource(
        session,
        resource=party.CUSTOMER,
        payload=forms.customer_body(name, owner, billing_account, now),
        now=now,
    )
    return str(customer["id"])


def _onboarding(router: APIRouter, web: Web) -> None:
    def form(
        request: Request,
        cycles: list[Document],
        values: Mapping[str, str],
        error: DomainError | None = None,
    ) -> Response:
        return web.render(
            request,
            f"{TEMPLATES}/onboard.html",
            status=_status(error) if error else 200,
            cycles=cycles,
            values=values,
            labels=ONBOARD_LABELS,
            error=error,
            error_field=forms.error_field(error, forms.ONBOARD_ERROR_FIELDS) if error else None,
        )

    async def cycles_of(request: Request) -> list[Document]:
        return await web.read(request, roles.STAFF, lambda s, v: bill_cycles(s, web.clock.now()))

    @router.get("/customers/new")
    async def new_customer(request: Request) -> Response:
        return form(request, await cycles_of(request), {})

    @router.post("/customers/new")
    async def create_customer(request: Request) -> Response:
        values = form_values(await request.form())
        done = await _attempt(web, request, roles.CSR, lambda s, v, now: onboard(s, values, now))
        if isinstance(done, DomainError):
            return form(request, await cycles_of(request), values, done)
        name = f"{values['givenName']} {values['familyName']}"
        return web.redirect(request, _customer_url(done), notice=f"Customer {name} onboarded")


# -- 2. the guided order ----------------------------------------------------------------------


def orderable_offerings(session: Session, now: datetime) -> list[Document]:
    """Launched offerings a new order may take now, by name."""
    launched = _documents(
        session,
        catalog.PRODUCT_OFFERING,
        [("lifecycleStatus", "Launched"), ("limit", str(OFFERINGS_SHOWN)), ("sort", "name")],
    )
    return [
        o
        for o in launched
        if o.get("isSellable") is not False
        and o.get("productSpecification")
        and catalog.offering_is_orderable(session, offering_id=str(o["id"]), at=now)
    ]


@dataclass(frozen=True)
class OrderForm:
    customer: Customer
    offerings: list[Document]
    offering: Document | None
    fields: list[forms.CharacteristicField]


def order_form(session: Session, customer_id: str, offering_id: str, now: datetime) -> OrderForm:
    customer = load_customer(session, customer_id)
    offerings = orderable_offerings(session, now)
    offering = next((o for o in offerings if o["id"] == offering_id), None)
    return OrderForm(customer, offerings, offering, _fields_of(session, offering))


def _fields_of(session: Session, offering: Document | None) -> list[forms.CharacteristicField]:
    if offering is None:
        return []
    spec_id = str((offering.get("productSpecification") or {}).get("id") or "")
    specification = catalog.get_specification(session, specification_id=spec_id)
    return forms.characteristic_fields(specification, offering)


def place_order(
    session: Session, viewer: Principal, customer_id: str, values: Mapping[str, str], now: datetime
) -> str:
    """The TMF622 order the form describes, through the ordering rules. Returns its id."""
    customer = load_customer(session, customer_id)
    offering_id = values.get("offering", "")
    if not offering_id:
        raise InvalidInput("Choose an offering", field="offering")
    try:
        offering = catalog.get_offering(session, offering_id=offering_id)
    except NotFound:
        raise InvalidInput("Unknown offering", field="offering", detail=offering_id) from None
    fields = _fields_of(session, offering) if offering.get("productSpecification") else []
    body = forms.order_body(
        customer_id=customer.id,
        account_id=_pick_account(customer, values.get("account", "")),
        offering_id=offering_id,
        characteristics=forms.chosen_characteristics(fields, values),
        author=viewer.username,
    )
    order = create_resource(session, resource=ordering.PRODUCT_ORDER, payload=body, now=now)
    return str(order["id"])


def _ordering(router: APIRouter, web: Web) -> None:
    async def load(request: Request, customer_id: str, offering_id: str) -> OrderForm:
        return await web.read(
            request,
            roles.STAFF,
            lambda s, v: order_form(s, customer_id, offering_id, web.clock.now()),
        )

    def render(
        request: Request,
        template: str,
        view: OrderForm,
        values: Mapping[str, str],
        error: DomainError | None = None,
    ) -> Response:
        marked = forms.characteristic_error_field(error, view.fields) if error else None
        return web.render(
            request,
            f"{TEMPLATES}/{template}",
            status=_status(error) if error else 200,
            view=view,
            values=values,
            error=error,
            error_field=marked,
        )

    @router.get("/customers/{customer_id}/orders/new")
    async def new_order(request: Request, customer_id: str, offering: str = "") -> Response:
        view = await load(request, customer_id, offering)
        return render(request, "order.html", view, {"offering": offering})

    @router.get("/customers/{customer_id}/orders/new/characteristics")
    async def order_step_two(request: Request, customer_id: str, offering: str = "") -> Response:
        """Step 2 alone, swapped in by htmx when an offering is picked."""
        view = await load(request, customer_id, offering)
        return render(request, "order_step2.html", view, {"offering": offering})

    @router.post("/customers/{customer_id}/orders/new")
    async def create_order(request: Request, customer_id: str) -> Response:
        values = form_values(await request.form())
        done = await _attempt(
            web, request, roles.CSR, lambda s, v, now: place_order(s, v, customer_id, values, now)
        )
        if isinstance(done, DomainError):
            view = await load(request, customer_id, values.get("offering", ""))
            return render(request, "order.html", view, values, done)
        return web.redirect(request, _customer_url(customer_id), notice=f"Order {done} placed")


# -- 3. suspend / resume ----------------------------------------------------------------------


def change_status(
    session: Session,
    viewer: Principal,
    *,
    action: str,
    customer_id: str,
    product_id: str,
    reason: str,
    now: datetime,
) -> str:
    """A TMF622 modify order suspending or resuming one of the customer's products (the
    provisioning path dunning's orders take). Returns the order id."""
    customer = load_customer(session, customer_id)
    try:
        product = product_inventory.get_product(session, product_id=product_id)
    except NotFound:
        raise NotFound("No such product", detail=product_id) from None
    account_id = str((product.get("billingAccount") or {}).get("id") or "")
    customers = {str(r.get("id")) for r in product.get("relatedParty") or []}
    if customer_id not in customers and account_id not in customer.account_ids:
        raise NotFound("No such product of this customer", detail=product_id)
    applies_to, _ = forms.STATUS_CHANGES[action]
    if product.get("status") != applies_to:
        raise Conflict(
            f"Cannot {action} this product",
            field="status",
            detail=f"the product is {product.get('status')}, not {applies_to}",
        )
    body = forms.status_order_body(
        action=action,
        customer_id=customer_id,
        account_id=account_id,
        product_id=product_id,
        author=viewer.username,
        reason=reason,
    )
    order = create_resource(session, resource=ordering.PRODUCT_ORDER, payload=body, now=now)
    return str(order["id"])


def _status_changes(router: APIRouter, web: Web) -> None:
    async def act(request: Request, action: str, customer_id: str, product_id: str) -> Response:
        values = form_values(await request.form())
        order_id = await web.write(
            request,
            roles.CSR,
            lambda s, v, now: change_status(
                s,
                v,
                action=action,
                customer_id=customer_id,
                product_id=product_id,
                reason=values.get("reason", ""),
                now=now,
            ),
        )
        verb = "Suspension" if action == "suspend" else "Resumption"
        return web.redirect(
            request, _customer_url(customer_id), notice=f"{verb} ordered (order {order_id})"
        )

    @router.post("/customers/{customer_id}/products/{product_id}/suspend")
    async def suspend(request: Request, customer_id: str, product_id: str) -> Response:
        return await act(request, "suspend", customer_id, product_id)

    @router.post("/customers/{customer_id}/products/{product_id}/resume")
    async def resume(request: Request, customer_id: str, product_id: str) -> Response:
        return await act(request, "resume", customer_id, product_id)


# -- 4. payments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentForm:
    customer: Customer
    open_bills: list[billing.OpenBill]


def payment_form(session: Session, customer_id: str) -> PaymentForm:
    customer = load_customer(session, customer_id)
    bills = billing.open_bills_for(session, account_ids=customer.account_ids)
    return PaymentForm(
        customer,
        [bill for account_id in customer.account_ids for bill in bills.get(account_id, [])],
    )


def record(
    session: Session, viewer: Principal, customer_id: str, values: Mapping[str, str], now: datetime
) -> str:
    """Record money received (bank transfer, cash) or charge the card on file, allocated to
    the chosen bill first, then the oldest open ones. Returns a notice."""
    customer = load_customer(session, customer_id)
    account_id = _pick_account(customer, values.get("account", ""))
    billing_account = next(a for a in customer.accounts if a["id"] == account_id)
    currency = str(billing_account.get("currency") or forms.CURRENCY)
    method = values.get("method", "")
    if method not in PAYMENT_METHODS:
        raise InvalidInput("Choose a payment method", field="method")
    amount = forms.minor_units(values.get("amount", ""), currency)
    bill_id = values.get("bill", "")
    if bill_id:
        bill = billing.find_bill(session, bill_id=bill_id)
        if bill is None or bill.billing_account_id != account_id:
            raise InvalidInput("Choose an open bill of the account", field="bill")
    token = None
    if method == payment.CARD:
        card = billing_account.get("paymentMethod") or {}
        token = card.get("token") if str(card.get("@type", "")).lower() == "bankcard" else None
        if not token:
            raise InvalidInput("The account has no card on file", field="method")
    recorded = payment.record_payment(
        session,
        billing_account_id=account_id,
        amount=Money(currency=currency, minor=amount),
        method=method,
        now=now,
        gateway=payment.current_gateway(),
        reference=values.get("reference") or f"console {viewer.username}",
        token=str(token) if token else None,
        bills=[(bill_id, None)] if bill_id else [],
        source="api",
        payer_name=customer.name,
    )
    if recorded.status != "done":
        raise Conflict(
            "Payment not taken", field="method", detail=recorded.reason or recorded.status
        )
    return recorded.payment_id


def _payments(router: APIRouter, web: Web) -> None:
    def render(
        request: Request,
        view: PaymentForm,
        values: Mapping[str, str],
        error: DomainError | None = None,
    ) -> Response:
        return web.render(
            request,
            f"{TEMPLATES}/payment.html",
            status=_status(error) if error else 200,
            view=view,
            values=values,
            methods=PAYMENT_METHODS,
            error=error,
            error_field=error.field if error else None,
        )

    async def load(request: Request, customer_id: str) -> PaymentForm:
        return await web.read(request, roles.STAFF, lambda s, v: payment_form(s, customer_id))

    @router.get("/customers/{customer_id}/payments/new")
    async def new_payment(request: Request, customer_id: str, bill: str = "") -> Response:
        return render(request, await load(request, customer_id), {"bill": bill})

    @router.post("/customers/{customer_id}/payments/new")
    async def create_payment(request: Request, customer_id: str) -> Response:
        values = form_values(await request.form())
        done = await _attempt(
            web,
            request,
            roles.CSR_OR_BILLING,
            lambda s, v, now: record(s, v, customer_id, values, now),
        )
        if isinstance(done, DomainError):
            return render(request, await load(request, customer_id), values, done)
        return web.redirect(request, _customer_url(customer_id), notice=f"Payment {done} recorded")


# -- 5. bill adjustments ----------------------------------------------------------------------

ADJUSTMENT_KINDS = {
    "creditNote": "Credit note on this bill",
    "credit": "Credit on the next bill",
    "charge": "Charge on the next bill",
}


@dataclass(frozen=True)
class AdjustForm:
    customer: Customer
    bill: billing.OpenBill


def adjust_form(session: Session, customer_id: str, bill_id: str) -> AdjustForm:
    customer = load_customer(session, customer_id)
    bill = billing.find_bill(session, bill_id=bill_id)
    if bill is None or bill.billing_account_id not in customer.account_ids:
        raise NotFound("No such bill of this customer", detail=bill_id)
    return AdjustForm(customer, bill)


def adjust(
    session: Session, customer_id: str, bill_id: str, values: Mapping[str, str], now: datetime
) -> str:
    """A credit note on the issued bill, or a pending adjustment for the account's next
    bill. Returns a notice."""
    view = adjust_form(session, customer_id, bill_id)
    kind = values.get("kind", "")
    if kind not in ADJUSTMENT_KINDS:
        raise InvalidInput("Choose how to adjust", field="kind")
    amount = forms.minor_units(values.get("amount", ""), view.bill.currency)
    reason = values.get("reason", "")
    if not reason:
        raise InvalidInput("Give a reason", field="reason")
    if kind == "creditNote":
        note = billing.credit_note(
            session, bill_id=bill_id, amount_minor=amount, reason=reason, now=now
        )
        return f"Credit note {note.bill_no or note.id} issued"
    billing.add_adjustment(
        session,
        billing_account_id=view.bill.billing_account_id,
        amount_minor=-amount if kind == "credit" else amount,
        currency=view.bill.currency,
        reason=f"{reason} (bill {view.bill.bill_no or bill_id})",
        source="manual",
        now=now,
    )
    return "Adjustment added to the next bill"


def _adjustments(router: APIRouter, web: Web) -> None:
    def render(
        request: Request,
        view: AdjustForm,
        values: Mapping[str, str],
        error: DomainError | None = None,
    ) -> Response:
        return web.render(
            request,
            f"{TEMPLATES}/adjust.html",
            status=_status(error) if error else 200,
            view=view,
            values=values,
            kinds=ADJUSTMENT_KINDS,
            error=error,
            error_field=error.field if error else None,
        )

    async def load(request: Request, customer_id: str, bill_id: str) -> AdjustForm:
        return await web.read(
            request, roles.STAFF, lambda s, v: adjust_form(s, customer_id, bill_id)
        )

    @router.get("/customers/{customer_id}/bills/{bill_id}/adjust")
    async def new_adjustment(request: Request, customer_id: str, bill_id: str) -> Response:
        return render(request, await load(request, customer_id, bill_id), {"kind": "creditNote"})

    @router.post("/customers/{customer_id}/bills/{bill_id}/adjust")
    async def create_adjustment(request: Request, customer_id: str, bill_id: str) -> Response:
        values = form_values(await request.form())
        done = await _attempt(
            web,
            request,
            roles.BILLING,
            lambda s, v, now: adjust(s, customer_id, bill_id, values, now),
        )
        if isinstance(done, DomainError):
            return render(request, await load(request, customer_id, bill_id), values, done)
        return web.redirect(request, _customer_url(customer_id), notice=done)


# -- 6. tickets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketForm:
    customer: Customer
    products: list[Document]


def ticket_form(session: Session, customer_id: str) -> TicketForm:
    customer = load_customer(session, customer_id)
    products = [
        p
        for account_id in customer.account_ids
        for p in product_inventory.products_of_account(
            session, billing_account_id=account_id, statuses=sorted(product_inventory.STATUSES)
        )
    ]
    return TicketForm(customer, products[:50])


def open_ticket(
    session: Session, customer_id: str, values: Mapping[str, str], author: str, now: datetime
) -> str:
    """A TMF621 ticket through the tickets' own rules (spec, priority, SLA clocks), as the
    API opens one (a plain TMF create would skip them)."""
    customer = load_customer(session, customer_id)
    body = forms.ticket_body(values, customer_id=customer.id, customer_name=customer.name)
    ticket = assurance.create_ticket(session, payload=body, now=now, author=author)
    return str(ticket["id"])


def _tickets(router: APIRouter, web: Web) -> None:
    def render(
        request: Request,
        view: TicketForm,
        values: Mapping[str, str],
        error: DomainError | None = None,
    ) -> Response:
        return web.render(
            request,
            f"{TEMPLATES}/ticket.html",
            status=_status(error) if error else 200,
            view=view,
            values=values,
            severities=forms.SEVERITIES,
            priorities=forms.PRIORITIES,
            ticket_types=forms.TICKET_TYPES,
            error=error,
            error_field=error.field if error else None,
        )

    async def load(request: Request, customer_id: str) -> TicketForm:
        return await web.read(request, roles.STAFF, lambda s, v: ticket_form(s, customer_id))

    @router.get("/customers/{customer_id}/tickets/new")
    async def new_ticket(request: Request, customer_id: str) -> Response:
        defaults = {"severity": "minor", "ticketType": "troubleTicket"}
        return render(request, await load(request, customer_id), defaults)

    @router.post("/customers/{customer_id}/tickets/new")
    async def create_ticket(request: Request, customer_id: str) -> Response:
        values = form_values(await request.form())
        done = await _attempt(
            web,
            request,
            roles.TICKET_WORKERS,
            lambda s, v, now: open_ticket(s, customer_id, values, v.username, now),
        )
        if isinstance(done, DomainError):
            return render(request, await load(request, customer_id), values, done)
        return web.redirect(request, _customer_url(customer_id), notice=f"Ticket {done} opened")


__all__ = ["register"]
