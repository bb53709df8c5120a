"""Issuing one off-cycle bill or credit note at once: its number, its ledger transaction, its
event and notification. A stand-in for the bill run's own issue path (H2a's numbering) until
they are merged: the number is the year's highest + 1, which the UNIQUE bill_no makes safe
(a concurrent issue fails and is retried by the caller) and gapless as long as every issue
goes through one sequence."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.billing.bills import ISSUED
from ossbss.billing.models import Bill, BillLine
from ossbss.billing.tmf_views import notify, render_bill
from ossbss.events.billing import BillIssued
from ossbss.kernel import publish

PAYMENT_DUE_DAYS = 14


def next_bill_no(session: Session, *, now: datetime) -> str:
    prefix = f"INV-{now.year}-"
    last = session.scalar(select(func.max(Bill.bill_no)).where(Bill.bill_no.like(prefix + "%")))
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:06d}"


def charge_postings(bill: Bill) -> list[account.Posting]:
    """A bill is a charge: RECEIVABLE +total, REVENUE -excl, TAX -tax (a credit note's negative
    amounts turn the same legs into the credit the contract names)."""
    legs = [
        account.Posting(bill.billing_account_id, account.RECEIVABLE, bill.amount_incl_tax_minor),
        account.Posting(bill.billing_account_id, account.REVENUE, -bill.amount_excl_tax_minor),
    ]
    if bill.tax_minor:
        legs.append(account.Posting(bill.billing_account_id, account.TAX, -bill.tax_minor))
    return legs


def issue_now(session: Session, *, bill: Bill, lines: list[BillLine], now: datetime) -> None:
    """Give ``bill`` (already added, state new) its number and make it due."""
    bill.bill_no = next_bill_no(session, now=now)
    bill.state = ISSUED
    bill.issued_at = now
    bill.updated_at = now
    if bill.payment_due_date is None and bill.amount_incl_tax_minor > 0:
        bill.payment_due_date = now + timedelta(days=PAYMENT_DUE_DAYS)
    session.flush()
    if bill.amount_incl_tax_minor or bill.amount_excl_tax_minor:
        account.post_transaction(
            session,
            kind="credit" if bill.kind == "creditNote" else "charge",
            currency=bill.currency,
            postings=charge_postings(bill),
            reference_type="customerBill",
            reference_id=bill.id,
            now=now,
            description=f"{bill.kind} {bill.bill_no}",
        )
    publish(
        session,
        BillIssued(
            bill_id=bill.id,
            billing_account_id=bill.billing_account_id,
            currency=bill.currency,
            amount_minor=bill.amount_incl_tax_minor,
            payment_due_date=bill.payment_due_date,
            occurred_at=now,
        ),
        now=now,
    )
    notify(
        session,
        resource="customerBill",
        change="Create",
        document=render_bill(bill, lines),
        now=now,
    )
