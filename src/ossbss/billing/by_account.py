"""A customer's bills as a desk shows them: the latest few of their accounts, any state."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.billing.bills import _VIEW_COLUMNS, OpenBill
from ossbss.billing.models import Bill


def latest_bills(
    session: Session, *, account_ids: Sequence[str], limit: int = 10
) -> list[OpenBill]:
    """The accounts' latest ``limit`` bills and credit notes (drafts included), newest first."""
    if not account_ids:
        return []
    query = (
        select(*_VIEW_COLUMNS)
        .where(Bill.billing_account_id.in_(list(account_ids)))
        .order_by(Bill.bill_date.desc(), Bill.pk.desc())
        .limit(limit)
    )
    return [OpenBill(**row._asdict()) for row in session.execute(query)]
