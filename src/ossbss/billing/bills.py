"""What payment may ask of billing about issued bills: the open ones, oldest first, and
settling them. The ledger is the caller's to post (one transaction per money movement)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ossbss.billing.models import Bill
from ossbss.events.billing import BillSettled
from ossbss.kernel import publish
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound

ISSUED = "sent"
PARTIALLY_PAID = "partiallyPaid"
SETTLED = "settled"
DRAFT = "new"
# Issued bills money can be applied to, or taken back from.
PAYABLE_STATES = frozenset({ISSUED, PARTIALLY_PAID, SETTLED})
OPEN_STATES = (ISSUED, PARTIALLY_PAID)


@dataclass(frozen=True, slots=True)
class OpenBill:
    id: str
    bill_no: str | None
    billing_account_id: str
    kind: str
    currency: str
    remaining_minor: int
    amount_incl_tax_minor: int
    payment_due_date: datetime | None
    bill_date: datetime
    state: str


def _view(bill: Bill) -> OpenBill:
    return OpenBill(
        bill.id,
        bill.bill_no,
        bill.billing_account_id,
        bill.kind,
        bill.currency,
        bill.remaining_minor,
        bill.amount_incl_tax_minor,
        bill.payment_due_date,
        bill.bill_date,
        bill.state,
    )


def _oldest_first(query: Select[Bill]) -> Select[Bill]:
    return query.order_by(Bill.payment_due_date, Bill.bill_date, Bill.pk)


def open_bills(session: Session, *, billing_account_id: str) -> list[OpenBill]:
    """Issued bills of the account with money still due, the oldest due first."""
    return open_bills_for(session, account_ids=[billing_account_id]).get(billing_account_id, [])


def open_bills_for(
    session: Session, *, account_ids: Sequence[str] | None = None
) -> dict[str, list[OpenBill]]:
    """Open bills of many accounts at once (None: every account), oldest due first."""
    query = select(Bill).where(Bill.state.in_(OPEN_STATES), Bill.remaining_minor > 0)
    if account_ids is not None:
        query = query.where(Bill.billing_account_id.in_(list(account_ids)))
    bills: dict[str, list[OpenBill]] = defaultdict(list)
    for bill in session.scalars(_oldest_first(query)):
        bills[bill.billing_account_id].append(_view(bill))
    return dict(bills)


def find_bill(
    session: Session, *, bill_id: str | None = None, bill_no: str | None = None
) -> OpenBill | None:
    """A bill by id or by its printed number (a payment reference), or None."""
    if bill_id is None and bill_no is None:
        return None
    query = select(Bill).where(
        Bill.id == bill_id if bill_id is not None else Bill.bill_no == bill_no
    )
    bill = session.scalars(query).one_or_none()
    return _view(bill) if bill else None


def _payable(session: Session, bill_id: str) -> Bill:
    bill = session.scalars(select(Bill).where(Bill.id == bill_id).with_for_update()).one_or_none()
    if bill is None:
        raise NotFound("Bill not found", detail=bill_id)
    if bill.state not in PAYABLE_STATES:
        raise Conflict("Bill not issued", detail=f"bill {bill_id} is {bill.state}")
    return bill


def apply_payment(session: Session, *, bill_id: str, amount_minor: int, now: datetime) -> OpenBill:
    """Money paid against an issued bill: partiallyPaid, or settled when nothing remains."""
    if amount_minor <= 0:
        raise InvalidInput("Invalid amount", field="amount", detail="must be positive")
    bill = _payable(session, bill_id)
    if amount_minor > bill.remaining_minor:
        raise Conflict(
            "Payment exceeds the bill",
            detail=f"bill {bill.bill_no or bill.id} has {bill.remaining_minor} minor units due",
        )
    bill.remaining_minor -= amount_minor
    bill.state = SETTLED if bill.remaining_minor == 0 else PARTIALLY_PAID
    bill.updated_at = now
    if bill.state == SETTLED:
        publish(
            session,
            BillSettled(
                bill_id=bill.id, billing_account_id=bill.billing_account_id, occurred_at=now
            ),
            now=now,
        )
    return _view(bill)


def reopen(session: Session, *, bill_id: str, amount_minor: int, now: datetime) -> OpenBill:
    """Money taken back from a bill (a refund or a reversed payment): due again."""
    if amount_minor <= 0:
        raise InvalidInput("Invalid amount", field="amount", detail="must be positive")
    bill = _payable(session, bill_id)
    if bill.remaining_minor + amount_minor > bill.amount_incl_tax_minor:
        raise Conflict("More than was paid", detail=f"bill {bill.bill_no or bill.id}")
    bill.remaining_minor += amount_minor
    bill.state = ISSUED if bill.remaining_minor == bill.amount_incl_tax_minor else PARTIALLY_PAID
    bill.updated_at = now
    return _view(bill)
