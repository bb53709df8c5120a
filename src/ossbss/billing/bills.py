"""What payment may ask of billing about issued bills: the open ones, oldest first, and
settling them. The ledger is the caller's to post (one transaction per money movement)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from sqlalchemy import Select, Table, bindparam, inspect, select, update
from sqlalchemy.orm import Session

from ossbss.billing.models import Bill
from ossbss.events.billing import BillSettled
from ossbss.kernel import publish
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound
from ossbss.kernel.outbox import publish_many

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


# OpenBill's fields, in order.
_VIEW_COLUMNS = (
    Bill.id,
    Bill.bill_no,
    Bill.billing_account_id,
    Bill.kind,
    Bill.currency,
    Bill.remaining_minor,
    Bill.amount_incl_tax_minor,
    Bill.payment_due_date,
    Bill.bill_date,
    Bill.state,
)


def _oldest_first(query: Select[Bill]) -> Select[Bill]:
    return query.order_by(Bill.payment_due_date, Bill.bill_date, Bill.pk)


def open_bills(session: Session, *, billing_account_id: str) -> list[OpenBill]:
    """Issued bills of the account with money still due, the oldest due first."""
    return open_bills_for(session, account_ids=[billing_account_id]).get(billing_account_id, [])


def open_bills_for(
    session: Session, *, account_ids: Sequence[str] | None = None
) -> dict[str, list[OpenBill]]:
    """Open bills of many accounts at once (None: every account), oldest due first. Plain
    rows, not ORM objects: a statement import reads thousands per batch."""
    query = select(*_VIEW_COLUMNS).where(Bill.state.in_(OPEN_STATES), Bill.remaining_minor > 0)
    if account_ids is not None:
        query = query.where(Bill.billing_account_id.in_(list(account_ids)))
    bills: dict[str, list[OpenBill]] = defaultdict(list)
    for row in session.execute(query.order_by(Bill.payment_due_date, Bill.bill_date, Bill.pk)):
        bills[row.billing_account_id].append(OpenBill(**row._asdict()))
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


def apply_payments(
    session: Session, *, allocations: Sequence[tuple[str, int]], now: datetime
) -> list[OpenBill]:
    """``apply_payment`` for a batch (a bank statement): the bills locked and read in one
    query, updated in one executemany, BillSettled published in bulk. Same rules: issued
    bills only, never below 0 (Conflict), partiallyPaid or settled."""
    totals: dict[str, int] = defaultdict(int)
    for bill_id, amount_minor in allocations:
        if amount_minor <= 0:
            raise InvalidInput("Invalid amount", field="amount", detail="must be positive")
        totals[bill_id] += amount_minor
    session.flush()  # pending ORM changes to these bills land before they are read
    found: dict[str, tuple[int, OpenBill]] = {}
    ids = sorted(totals)
    for start in range(0, len(ids), 500):
        query = (
            select(Bill.pk, *_VIEW_COLUMNS)
            .where(Bill.id.in_(ids[start : start + 500]))
            .with_for_update()
        )
        for row in session.execute(query):
            values = row._asdict()
            found[row.id] = (values.pop("pk"), OpenBill(**values))
    updated: list[OpenBill] = []
    rows: list[dict[str, object]] = []
    for bill_id, amount_minor in totals.items():
        if bill_id not in found:
            raise NotFound("Bill not found", detail=bill_id)
        pk, bill = found[bill_id]
        if bill.state not in PAYABLE_STATES:
            raise Conflict("Bill not issued", detail=f"bill {bill_id} is {bill.state}")
        if amount_minor > bill.remaining_minor:
            raise Conflict(
                "Payment exceeds the bill",
                detail=f"bill {bill.bill_no or bill.id} has {bill.remaining_minor} minor units due",
            )
        remaining = bill.remaining_minor - amount_minor
        state = SETTLED if remaining == 0 else PARTIALLY_PAID
        updated.append(replace(bill, remaining_minor=remaining, state=state))
        rows.append({"b_pk": pk, "b_remaining": remaining, "b_state": state})
    table = cast(Table, Bill.__table__)
    session.execute(
        update(table)
        .where(table.c.pk == bindparam("b_pk"))
        .values(
            remaining_minor=bindparam("b_remaining"), state=bindparam("b_state"), updated_at=now
        ),
        rows,
    )
    mapper = inspect(Bill)
    for change in rows:  # a Bill object this session holds is stale now
        held = session.identity_map.get(mapper.identity_key_from_primary_key((change["b_pk"],)))
        if held is not None:
            session.expire(held)
    settled = [
        BillSettled(bill_id=b.id, billing_account_id=b.billing_account_id, occurred_at=now)
        for b in updated
        if b.state == SETTLED
    ]
    publish_many(session, settled, now=now)
    return updated
