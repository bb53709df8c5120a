"""Read-only figures over issued bills for reporting: bills and their lines as narrow rows,
selected by when they were issued or by the service period they bill. Nothing here writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ossbss.billing.models import Bill, BillLine, BillRun
from ossbss.kernel.time import Period

CREDIT_NOTE = "creditNote"
_IN_CHUNK = 900  # below SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class IssuedBill:
    """An issued bill (or credit note). ``computed_at`` is when its content was fixed: the bill
    run's start for a run's bill (usage rated later waits for the next bill), else its
    creation."""

    id: str
    bill_no: str | None
    kind: str
    billing_account_id: str
    currency: str
    state: str
    bill_date: datetime
    period_start: datetime | None
    period_end: datetime | None
    payment_due_date: datetime | None
    amount_excl_tax_minor: int
    tax_minor: int
    amount_incl_tax_minor: int
    remaining_minor: int
    corrects_bill_id: str | None
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class BilledLine:
    """One appliedCustomerBillingRate of an issued bill, tax excluded, as stored (a credit
    note's lines carry the sign the credit note was written with)."""

    bill_id: str
    line_id: str
    type: str
    product_id: str | None
    product_name: str | None
    offering_id: str | None
    period_start: datetime | None
    period_end: datetime | None
    amount_minor: int


_BILL_COLUMNS = (
    Bill.id,
    Bill.bill_no,
    Bill.kind,
    Bill.billing_account_id,
    Bill.currency,
    Bill.state,
    Bill.bill_date,
    Bill.period_start,
    Bill.period_end,
    Bill.payment_due_date,
    Bill.amount_excl_tax_minor,
    Bill.tax_minor,
    Bill.amount_incl_tax_minor,
    Bill.remaining_minor,
    Bill.corrects_bill_id,
    Bill.created_at,
    BillRun.created_at,
)


def issued_bills(
    session: Session, *, issued_in: Period | None = None, covering: Period | None = None
) -> list[IssuedBill]:
    """Issued bills and credit notes (drafts never count) whose bill date falls in
    ``issued_in`` and/or whose service period overlaps ``covering``, oldest first."""
    query = (
        select(*_BILL_COLUMNS)
        .outerjoin(BillRun, BillRun.id == Bill.bill_run_id)
        .where(Bill.issued_at.is_not(None))
    )
    if issued_in is not None:
        query = query.where(Bill.bill_date >= issued_in.start)
        if issued_in.end is not None:
            query = query.where(Bill.bill_date < issued_in.end)
    if covering is not None:
        query = query.where(Bill.period_start.is_not(None), Bill.period_end > covering.start)
        if covering.end is not None:
            query = query.where(Bill.period_start < covering.end)
    rows = session.execute(query.order_by(Bill.bill_date, Bill.pk))
    return [_issued(tuple(row)) for row in rows]


def _issued(row: tuple[Any, ...]) -> IssuedBill:
    fields: list[Any] = [*row[:15], row[16] or row[15]]
    return IssuedBill(*fields)


def bill_lines(session: Session, *, bill_ids: Sequence[str]) -> list[BilledLine]:
    """The lines of the given bills, in bill then line order."""
    found: list[BilledLine] = []
    ids = list(dict.fromkeys(bill_ids))
    for start in range(0, len(ids), _IN_CHUNK):
        query = (
            select(
                BillLine.bill_id,
                BillLine.id,
                BillLine.type,
                BillLine.product_id,
                BillLine.product_name,
                BillLine.offering_id,
                BillLine.period_start,
                BillLine.period_end,
                BillLine.amount_minor,
            )
            .where(BillLine.bill_id.in_(ids[start : start + _IN_CHUNK]))
            .order_by(BillLine.bill_id, BillLine.line_no)
        )
        found.extend(BilledLine(*row) for row in session.execute(query))
    return found


@dataclass(frozen=True, slots=True)
class RevenueLine:
    """A line of an issued bill with what revenue reports group it by (one narrow join)."""

    bill_id: str
    bill_date: datetime
    kind: str
    currency: str
    type: str
    offering_id: str | None
    product_name: str | None
    amount_minor: int


def revenue_lines(session: Session, *, issued_in: Period) -> list[RevenueLine]:
    """The lines of the bills and credit notes issued (bill date) in ``issued_in``."""
    query = (
        select(
            Bill.id,
            Bill.bill_date,
            Bill.kind,
            Bill.currency,
            BillLine.type,
            BillLine.offering_id,
            BillLine.product_name,
            BillLine.amount_minor,
        )
        .join(BillLine, BillLine.bill_id == Bill.id)
        .where(Bill.issued_at.is_not(None), Bill.bill_date >= issued_in.start)
    )
    if issued_in.end is not None:
        query = query.where(Bill.bill_date < issued_in.end)
    return [RevenueLine(*row) for row in session.execute(query.order_by(Bill.pk, BillLine.line_no))]


def billed_revenue(session: Session, *, months: Sequence[Period]) -> list[dict[str, int]]:
    """Billed revenue, tax excluded, of the bills issued (bill date) in each of ``months``
    (bounded periods), by currency, credit notes deducted whatever sign they were written
    with: one scan of the bills for all the periods (a SUM per period)."""
    if not months:
        return []
    if any(period.end is None for period in months):
        raise ValueError("billed_revenue needs bounded periods")
    amount = case(
        (Bill.kind == CREDIT_NOTE, -func.abs(Bill.amount_excl_tax_minor)),
        else_=Bill.amount_excl_tax_minor,
    )
    sums = [
        func.sum(case((and_(Bill.bill_date >= p.start, Bill.bill_date < p.end), amount)))
        for p in months
    ]
    query = (
        select(Bill.currency, *sums)
        .where(
            Bill.issued_at.is_not(None),
            Bill.bill_date >= min(p.start for p in months),
            Bill.bill_date < max(p.end for p in months if p.end is not None),
        )
        .group_by(Bill.currency)
    )
    found: list[dict[str, int]] = [{} for _ in months]
    for currency, *totals in session.execute(query):
        for index, total in enumerate(totals):
            if total is not None:
                found[index][str(currency)] = int(total)
    return found
