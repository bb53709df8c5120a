"""Aging: what each account owes by how long it has been due (open bills' remaining amounts),
per currency, with its ledger balance (which also counts credit not yet applied)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import account, billing
from ossbss.payment.domain import AgingBuckets, aging_bucket, empty_buckets


def aging(
    session: Session, *, account_ids: Sequence[str] | None = None, as_of: datetime
) -> dict[str, AgingBuckets]:
    """Buckets of the given accounts (None: every account with an open bill or a balance),
    in two bulk reads."""
    open_bills = billing.open_bills_for(session, account_ids=account_ids)
    balances = account.account_balances(session, account_ids=account_ids)
    result: dict[str, AgingBuckets] = {}
    for account_id in sorted(set(open_bills) | set(balances)):
        buckets: dict[str, dict[str, int]] = {}
        for bill in open_bills.get(account_id, []):
            due = bill.payment_due_date or bill.bill_date
            per_currency = buckets.setdefault(bill.currency, empty_buckets())
            per_currency[aging_bucket(due, as_of)] += bill.remaining_minor
        result[account_id] = AgingBuckets(account_id, buckets, balances.get(account_id, {}))
    return result
