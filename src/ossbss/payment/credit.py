"""Credit (money paid beyond what was due) is applied to the account's bills as they are
issued; billing never calls payment, so payment hears of new bills through BillIssued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ossbss import billing
from ossbss.events.billing import BillIssued
from ossbss.kernel import Clock, HandlerRegistry
from ossbss.payment.domain import Due, allocate
from ossbss.payment.models import Allocation, Payment
from ossbss.payment.service import DONE


def subscribe(registry: HandlerRegistry, clock: Clock) -> None:
    def on_bill_issued(session: Session, event: BillIssued) -> None:
        if event.amount_minor > 0:
            apply_credit(
                session,
                billing_account_id=event.billing_account_id,
                currency=event.currency,
                now=event.occurred_at,
            )

    registry.subscribe(BillIssued, on_bill_issued, name="payment.apply-credit")


def apply_credit(session: Session, *, billing_account_id: str, currency: str, now: datetime) -> int:
    """Allocate the account's unallocated payments (oldest first) to its open bills (oldest
    due first); the amount applied. The ledger already counts these payments, so only the
    bills and allocations change. Running it again applies nothing more."""
    credits = list(
        session.scalars(
            select(Payment)
            .where(
                Payment.billing_account_id == billing_account_id,
                Payment.currency == currency,
                Payment.status == DONE,
                Payment.unallocated_minor > 0,
            )
            .order_by(Payment.received_at, Payment.pk)
            .with_for_update()
        )
    )
    if not credits:
        return 0
    bills = [
        bill
        for bill in billing.open_bills(session, billing_account_id=billing_account_id)
        if bill.currency == currency
    ]
    remaining = {bill.id: bill.remaining_minor for bill in bills}
    rows: list[dict[str, Any]] = []
    for payment in credits:
        dues = [Due(bill.id, remaining[bill.id]) for bill in bills if remaining[bill.id] > 0]
        parts, left = allocate(payment.unallocated_minor, dues)
        for bill_id, amount in parts:
            remaining[bill_id] -= amount
            rows.append(
                {
                    "payment_id": payment.id,
                    "bill_id": bill_id,
                    "amount_minor": amount,
                    "created_at": now,
                }
            )
        payment.unallocated_minor, payment.updated_at = left, now
    if rows:
        billing.apply_payments(
            session, allocations=[(r["bill_id"], r["amount_minor"]) for r in rows], now=now
        )
        session.execute(insert(Allocation), rows)
    return sum(row["amount_minor"] for row in rows)
