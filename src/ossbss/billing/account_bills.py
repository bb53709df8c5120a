"""Issued bills of a set of billing accounts (a subscriber's own accounts, in self-care): the
account condition is part of every query, so a bill of another account is simply not found."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.billing.figures import _BILL_COLUMNS, IssuedBill, _issued
from ossbss.billing.models import Bill, BillRun
from ossbss.kernel.errors import NotFound


def bills_of_accounts(
    session: Session, *, account_ids: Sequence[str], offset: int = 0, limit: int = 20
) -> tuple[int, list[IssuedBill]]:
    """(how many, one page) of the issued bills and credit notes of ``account_ids``, newest
    first. Drafts are never shown."""
    if not account_ids:
        return 0, []
    scope = (Bill.billing_account_id.in_(list(account_ids)), Bill.issued_at.is_not(None))
    total = session.scalar(select(func.count()).select_from(Bill).where(*scope))
    rows = session.execute(
        select(*_BILL_COLUMNS)
        .outerjoin(BillRun, BillRun.id == Bill.bill_run_id)
        .where(*scope)
        .order_by(Bill.bill_date.desc(), Bill.pk.desc())
        .offset(offset)
        .limit(limit)
    )
    return int(total or 0), [_issued(tuple(row)) for row in rows]


def bill_of_accounts(session: Session, *, bill_id: str, account_ids: Sequence[str]) -> IssuedBill:
    """The issued bill ``bill_id`` if it belongs to one of ``account_ids``; NotFound
    otherwise (whether it does not exist or is someone else's: the caller cannot tell)."""
    row = session.execute(
        select(*_BILL_COLUMNS)
        .outerjoin(BillRun, BillRun.id == Bill.bill_run_id)
        .where(
            Bill.id == bill_id,
            Bill.billing_account_id.in_(list(account_ids) or [""]),
            Bill.issued_at.is_not(None),
        )
    ).one_or_none()
    if row is None:
        raise NotFound("Bill not found", detail=bill_id)
    return _issued(tuple(row))
