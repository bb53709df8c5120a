"""Events billing publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ossbss.kernel import Event


@dataclass(frozen=True, kw_only=True)
class BillIssued(Event):
    """A bill (or a credit note, amount negative) was issued: its money is now due."""

    topic = "billing.bill-issued"

    bill_id: str
    billing_account_id: str
    currency: str
    amount_minor: int
    payment_due_date: datetime | None
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class BillSettled(Event):
    """Nothing remains due on the bill."""

    topic = "billing.bill-settled"

    bill_id: str
    billing_account_id: str
    occurred_at: datetime
