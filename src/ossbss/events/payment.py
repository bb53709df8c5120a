"""Events payment publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ossbss.kernel import Event

DunningAction = Literal["suspend", "resume", "terminate"]


@dataclass(frozen=True, kw_only=True)
class PaymentAllocated(Event):
    """A payment was applied: to these bills, and the rest (if any) kept as credit."""

    topic = "payment.payment-allocated"

    payment_id: str
    billing_account_id: str
    currency: str
    amount_minor: int
    bill_ids: tuple[str, ...]
    balance_after_minor: int  # what the account owes afterwards (negative: credit)
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class DunningActionRequested(Event):
    """Collections asks ordering to act on the account's products exactly as a person would
    by ordering it: suspend them, resume them (debt paid), or terminate them."""

    topic = "payment.dunning-action-requested"

    billing_account_id: str
    action: DunningAction
    step: str
    reason: str
    occurred_at: datetime
