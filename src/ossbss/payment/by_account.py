"""A customer's payments as a desk shows them: the latest few of their accounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.payment.models import Payment


@dataclass(frozen=True, slots=True)
class PaymentRow:
    id: str
    billing_account_id: str | None
    method: str
    currency: str
    amount_minor: int
    unallocated_minor: int
    refunded_minor: int
    status: str
    reference: str | None
    received_at: datetime


_COLUMNS = (
    Payment.id,
    Payment.billing_account_id,
    Payment.method,
    Payment.currency,
    Payment.amount_minor,
    Payment.unallocated_minor,
    Payment.refunded_minor,
    Payment.status,
    Payment.reference,
    Payment.received_at,
)


def latest_payments(
    session: Session, *, account_ids: Sequence[str], limit: int = 10
) -> list[PaymentRow]:
    """The accounts' latest ``limit`` payments, newest first."""
    if not account_ids:
        return []
    query = (
        select(*_COLUMNS)
        .where(Payment.billing_account_id.in_(list(account_ids)))
        .order_by(Payment.received_at.desc(), Payment.pk.desc())
        .limit(limit)
    )
    return [PaymentRow(**row._asdict()) for row in session.execute(query)]
