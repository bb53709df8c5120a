"""What the self-care pages read and do, always for one subscriber: every query names the
subscriber (their customer id, or the billing accounts they own) in its conditions, so another
subscriber's bill, product or ticket is not found (404), never found and then refused.

Keyword-only, take ``session`` (and ``now`` for writes), never commit: Web.write owns the
transaction. Rooms are reached through their public doors only."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from ossbss import (
    account,
    assurance,
    billing,
    catalog,
    ordering,
    party,
    payment,
    product_inventory,
    tmf,
    usage,
)
from ossbss.iam import Principal
from ossbss.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from ossbss.kernel.money import Money, minor_unit_exponent
from ossbss.kernel.time import Period

Document = dict[str, Any]
ACTIVE = "active"
FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CARD_TOKEN = re.compile(r"^tok_[A-Za-z0-9_]{1,60}$")
# The cards the demo's fake gateway offers (a real PSP tokenises the card in its own form).
DEMO_CARDS = (
    ("tok_visa_4242", "Visa ending 4242"),
    ("tok_declined", "Mastercard ending 0002 (the demo bank declines it)"),
)
TICKET_SEVERITIES = (
    ("minor", "It is annoying"),
    ("major", "It hardly works"),
    ("critical", "It does not work at all"),
)
PAGE = 20


@dataclass(frozen=True)
class Subscriber:
    """The signed-in subscriber: their customer and the billing accounts they own (owned by
    the customer or by the party the customer engages, as the order check accepts)."""

    customer_id: str
    name: str
    account_ids: list[str]


def subscriber(session: Session, viewer: Principal) -> Subscriber:
    if not viewer.party_id:
        raise Forbidden("Not a subscriber", detail="this login has no customer")
    customer = party.get_customer(session, customer_id=viewer.party_id)
    owners = {viewer.party_id, str((customer.get("engagedParty") or {}).get("id") or "")}
    accounts = {
        owned
        for owner in sorted(owners - {""})
        for owned in account.billing_account_ids_owned_by(session, party_id=owner)
    }
    return Subscriber(viewer.party_id, str(customer.get("name") or ""), sorted(accounts))


# --- products ------------------------------------------------------------------------------


def _documents(page: Any) -> list[Document]:
    return [{"id": item_id, **json.loads(body)} for item_id, body in page.items]


def products(session: Session, who: Subscriber, *, limit: int = 50) -> list[Document]:
    """The subscriber's products (every status), oldest first."""
    query = tmf.parse_list_query([("relatedParty.id", who.customer_id), ("limit", str(limit))])
    page = tmf.list_resources(session, resource=product_inventory.PRODUCT, query=query)
    return _documents(page)


def product(session: Session, who: Subscriber, *, product_id: str) -> Document:
    query = tmf.parse_list_query([("id", product_id), ("relatedParty.id", who.customer_id)])
    found = _documents(tmf.list_resources(session, resource=product_inventory.PRODUCT, query=query))
    if not found:
        raise NotFound("Product not found", detail=product_id)
    return found[0]


# --- overview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    who: Subscriber
    products: list[Document]
    balances: dict[str, int]  # currency -> owed (negative: credit)
    due: dict[str, int]  # currency -> still due on open bills
    next_due: datetime | None
    open_bills: int
    usage_days: list[str]
    usage_mb: list[float]
    month: str


def month_of(now: datetime) -> Period:
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return Period(start, end)


def overview(session: Session, who: Subscriber, *, now: datetime) -> Overview:
    balances: dict[str, int] = {}
    for by_currency in account.account_balances(session, account_ids=who.account_ids).values():
        for currency, owed in by_currency.items():
            balances[currency] = balances.get(currency, 0) + owed
    due: dict[str, int] = {}
    dates: list[datetime] = []
    count = 0
    for bills in billing.open_bills_for(session, account_ids=who.account_ids).values():
        for bill in bills:
            count += 1
            due[bill.currency] = due.get(bill.currency, 0) + bill.remaining_minor
            if bill.payment_due_date is not None:
                dates.append(bill.payment_due_date)
    month = month_of(now)
    until = month.end or now
    days, megabytes = usage_chart(
        usage.daily_usage(session, account_ids=who.account_ids, since=month.start, until=until),
        month,
        now,
    )
    return Overview(
        who,
        products(session, who),
        balances,
        due,
        min(dates) if dates else None,
        count,
        days,
        megabytes,
        month.start.strftime("%B %Y"),
    )


def usage_chart(
    rows: Sequence[usage.DailyUsage], month: Period, now: datetime
) -> tuple[list[str], list[float]]:
    """Every day of the month so far, with the data (MB) used that day."""
    data = {row.day: row.bytes_total / 1_000_000 for row in rows}
    last = min(now.astimezone(UTC).date(), (month.end or now).date() - timedelta(days=1))
    days = [
        month.start.date() + timedelta(days=n) for n in range((last - month.start.date()).days + 1)
    ]
    return [day.strftime("%d %b") for day in days], [round(data.get(day, 0), 1) for day in days]


# --- bills ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillView:
    bill: billing.IssuedBill
    lines: list[billing.BilledLine] = field(default_factory=list)


def bills(
    session: Session, who: Subscriber, *, offset: int, limit: int = PAGE
) -> tuple[int, list[billing.IssuedBill]]:
    return billing.bills_of_accounts(
        session, account_ids=who.account_ids, offset=offset, limit=limit
    )


def bill(session: Session, who: Subscriber, *, bill_id: str) -> BillView:
    found = billing.bill_of_accounts(session, bill_id=bill_id, account_ids=who.account_ids)
    return BillView(found, billing.bill_lines(session, bill_ids=[found.id]))


def amount_minor(raw: str, *, currency: str, remaining: int) -> int:
    """What the subscriber typed (empty: everything still due) in minor units, > 0 and not
    more than is due."""
    if not raw:
        return remaining
    exponent = minor_unit_exponent(currency)
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(
            "Invalid amount", field="amount", detail="a number, e.g. 12.50"
        ) from None
    minor = value.scaleb(exponent)
    if not value.is_finite() or minor != minor.to_integral_value():
        raise InvalidInput("Invalid amount", field="amount", detail=f"at most {exponent} decimals")
    if minor <= 0 or minor > remaining:
        raise InvalidInput(
            "Invalid amount", field="amount", detail="more than zero and no more than is due"
        )
    return int(minor)


@dataclass(frozen=True)
class PaymentOutcome:
    approved: bool
    duplicate: bool
    reason: str | None


def pay_bill(
    session: Session,
    who: Subscriber,
    *,
    bill_id: str,
    form: dict[str, str],
    now: datetime,
    gateway: payment.PaymentGateway,
) -> PaymentOutcome:
    """Charge the subscriber's card for their bill through the gateway and apply it to the
    bill. The form's key is the payment's external id (and so the gateway's idempotency key):
    the same form submitted twice pays once."""
    key = form.get("payment_key", "")
    if not FORM_KEY.match(key):
        raise InvalidInput("Form expired", field="payment_key", detail="reload the page")
    token = form.get("card", "")
    if not CARD_TOKEN.match(token):
        raise InvalidInput("Choose a card", field="card", detail="no card was chosen")
    external_id = f"selfcare:{who.customer_id}:{key}"
    found = billing.bill_of_accounts(session, bill_id=bill_id, account_ids=who.account_ids)
    if found.state not in billing.OPEN_STATES or found.remaining_minor <= 0:
        # Paid already (by this very form submitted twice, or otherwise): nothing is charged.
        return PaymentOutcome(True, True, "nothing left to pay")
    minor = amount_minor(
        form.get("amount", ""), currency=found.currency, remaining=found.remaining_minor
    )
    recorded = payment.record_payment(
        session,
        billing_account_id=found.billing_account_id,
        amount=Money(found.currency, minor),
        method=payment.CARD,
        now=now,
        gateway=gateway,
        reference=found.bill_no or found.id,
        external_id=external_id,
        token=token,
        bills=[(found.id, minor)],
        payer_name=who.name or None,
    )
    return PaymentOutcome(recorded.status == "done", recorded.duplicate, recorded.reason)


# --- plan changes --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanChoice:
    product: Document
    offerings: list[Document]  # launched offerings of the same category, not the current one


def plan_choices(session: Session, who: Subscriber, *, now: datetime) -> list[PlanChoice]:
    """For each active product: the other launched offerings it may change to (the same
    category as its current offering)."""
    choices = []
    for owned in products(session, who):
        if owned.get("status") != ACTIVE:
            continue
        current = str((owned.get("productOffering") or {}).get("id") or "")
        choices.append(PlanChoice(owned, _alternatives(session, current, now)))
    return choices


def _alternatives(session: Session, offering_id: str, now: datetime) -> list[Document]:
    if not offering_id:
        return []
    try:
        offering = catalog.get_offering(session, offering_id=offering_id)
    except NotFound:
        return []
    categories = [str(c["id"]) for c in offering.get("category") or [] if c.get("id")]
    if not categories:
        return []
    query = tmf.parse_list_query(
        [
            ("category.id", ",".join(categories)),
            ("lifecycleStatus", "Launched"),
            ("limit", "50"),
        ]
    )
    found = _documents(tmf.list_resources(session, resource=catalog.PRODUCT_OFFERING, query=query))
    return [
        other
        for other in found
        if other["id"] != offering_id
        and not other.get("isBundle")
        and catalog.offering_is_orderable(session, offering_id=other["id"], at=now)
    ]


def change_plan(
    session: Session, who: Subscriber, *, form: dict[str, str], now: datetime
) -> Document:
    """A TMF622 order modifying the product to the chosen offering, like any other order
    (the form's key makes a double submit one order)."""
    key = form.get("order_key", "")
    if not FORM_KEY.match(key):
        raise InvalidInput("Form expired", field="order_key", detail="reload the page")
    owned = product(session, who, product_id=form.get("product_id", ""))
    if owned.get("status") != ACTIVE:
        raise Conflict("Product not active", detail="only an active product can change plan")
    current = str((owned.get("productOffering") or {}).get("id") or "")
    offering_id = form.get("offering_id", "")
    chosen = next((o for o in _alternatives(session, current, now) if o["id"] == offering_id), None)
    if chosen is None:
        raise InvalidInput("Choose a plan", field="offering_id", detail="pick one of the plans")
    body = {
        "description": f"Plan change to {chosen.get('name')} (self-care)",
        "relatedParty": [{"id": who.customer_id, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": str((owned.get("billingAccount") or {}).get("id"))},
        "productOrderItem": [
            {
                "id": "1",
                "action": "modify",
                "product": {"id": owned["id"]},
                "productOffering": {"id": chosen["id"], "name": chosen.get("name")},
            }
        ],
    }
    return tmf.create_resource(
        session,
        resource=ordering.PRODUCT_ORDER,
        payload=body,
        now=now,
        idempotency_key=f"selfcare-{who.customer_id}-{key}",
    )


def recent_orders(session: Session, who: Subscriber, *, limit: int = 5) -> list[Document]:
    """The subscriber's last orders, newest first (a count, then the last page)."""
    scope = [("relatedParty.id", who.customer_id)]
    counted = tmf.list_resources(
        session,
        resource=ordering.PRODUCT_ORDER,
        query=tmf.parse_list_query([*scope, ("limit", "0")]),
    )
    offset = max(counted.total - limit, 0)
    page = tmf.list_resources(
        session,
        resource=ordering.PRODUCT_ORDER,
        query=tmf.parse_list_query([*scope, ("offset", str(offset)), ("limit", str(limit))]),
    )
    return list(reversed(_documents(page)))


# --- tickets -------------------------------------------------------------------------------


def tickets(
    session: Session, who: Subscriber, *, now: datetime, offset: int, limit: int = PAGE
) -> tuple[int, list[Document]]:
    return assurance.tickets_of_customer(
        session, customer_id=who.customer_id, now=now, offset=offset, limit=limit
    )


def ticket(session: Session, who: Subscriber, *, ticket_id: str, now: datetime) -> Document:
    return assurance.ticket_of_customer(
        session, ticket_id=ticket_id, customer_id=who.customer_id, now=now
    )


def open_ticket(
    session: Session, who: Subscriber, *, form: dict[str, str], now: datetime, author: str
) -> Document:
    """A TMF621 ticket about one of the subscriber's products."""
    owned = product(session, who, product_id=form.get("product_id", ""))
    subject = form.get("name", "")
    description = form.get("description", "")
    if not subject:
        raise InvalidInput("Say what is wrong", field="name", detail="a short subject")
    if not description:
        raise InvalidInput("Describe the problem", field="description", detail="a few words")
    severity = form.get("severity", "minor")
    if severity not in {value for value, _ in TICKET_SEVERITIES}:
        raise InvalidInput("Invalid choice", field="severity", detail=severity)
    payload = {
        "name": subject[:200],
        "description": description[:2000],
        "severity": severity,
        "ticketType": "troubleTicket",
        "relatedParty": [
            {
                "id": who.customer_id,
                "name": who.name,
                "role": "customer",
                "@referredType": "Customer",
            }
        ],
        "relatedEntity": [
            {
                "id": owned["id"],
                "name": owned.get("name"),
                "role": "affectedProduct",
                "@referredType": "Product",
            }
        ],
    }
    return assurance.create_ticket(session, payload=payload, now=now, author=author)


def note_ticket(
    session: Session,
    who: Subscriber,
    *,
    ticket_id: str,
    text: str,
    now: datetime,
    author: str,
) -> Document:
    ticket(session, who, ticket_id=ticket_id, now=now)  # theirs, or NotFound
    if not text:
        raise InvalidInput("Write a note", field="text", detail="the note is empty")
    return assurance.add_ticket_note(
        session, ticket_id=ticket_id, text=text[:2000], now=now, author=author
    )
