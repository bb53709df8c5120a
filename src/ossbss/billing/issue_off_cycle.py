"""Issuing one off-cycle bill (on demand) or credit note at once: its number from the bill
run's gapless series (numbering.next_bill_numbers), its ledger transaction (the run's
charge_postings; a credit note's negative amounts make them the 'credit' the contract names),
its BillIssued event and hub notification."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import account
from ossbss.billing.bills import ISSUED
from ossbss.billing.issue import DEFAULT_PAYMENT_TERMS_DAYS, charge_postings, due_date
from ossbss.billing.models import Bill, BillLine
from ossbss.billing.numbering import next_bill_numbers
from ossbss.billing.tmf_views import notify, render_bill
from ossbss.events.billing import BillIssued
from ossbss.kernel import publish


def issue_now(session: Session, *, bill: Bill, lines: list[BillLine], now: datetime) -> None:
    """Give ``bill`` (already added, state new) its number and make it due."""
    [bill.bill_no] = next_bill_numbers(session, count=1, issued_at=now)
    bill.state = ISSUED
    bill.issued_at = now
    bill.updated_at = now
    if bill.payment_due_date is None and bill.amount_incl_tax_minor > 0:
        cycle = account.bill_cycle_for(session, account_id=bill.billing_account_id)
        terms = cycle.payment_due_days if cycle else None
        bill.payment_due_date = due_date(now, terms, DEFAULT_PAYMENT_TERMS_DAYS)
    session.flush()
    postings = charge_postings(
        bill.billing_account_id,
        excl=bill.amount_excl_tax_minor,
        tax=bill.tax_minor,
        incl=bill.amount_incl_tax_minor,
    )
    if postings:
        account.post_transaction(
            session,
            kind="credit" if bill.kind == "creditNote" else "charge",
            currency=bill.currency,
            postings=postings,
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
