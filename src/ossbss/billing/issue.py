"""Approving a bill run issues its draft bills, chunk by chunk. One transaction per chunk
gives the chunk's bills their gapless numbers, issue date and due date, posts one ledger
'charge' per bill, marks the usage they bill as billed and publishes BillIssued; a process
killed mid-way leaves whole chunks issued and the rest draft, and the same call goes on.
An issued bill is never updated here again (ADR 0020)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from ossbss import account, usage
from ossbss.billing.bills import ISSUED, SETTLED
from ossbss.billing.models import Bill, BillRun
from ossbss.billing.numbering import next_bill_numbers
from ossbss.billing.run import (
    APPROVING,
    CHUNK_SIZE,
    DRAFT_BILL,
    DRAFT_RUN,
    ISSUED_RUN,
    Progress,
    RunSummary,
    get_run,
    run_summary,
)
from ossbss.events.billing import BillIssued
from ossbss.kernel import Clock, Conflict, Database
from ossbss.kernel.outbox import publish_many

DEFAULT_PAYMENT_TERMS_DAYS = 14
BILL_REFERENCE = "bill"


class UsageMarker(Protocol):
    """``usage.mark_billed_through``: the usage a chunk's bills charged becomes billed."""

    def __call__(
        self,
        session: Session,
        *,
        account_ids: Sequence[str],
        before: datetime,
        rated_by: datetime,
        now: datetime,
    ) -> int: ...


def default_usage_marker() -> UsageMarker:
    return usage.mark_billed_through


@dataclass(frozen=True, slots=True)
class _Draft:
    pk: int
    id: str
    billing_account_id: str
    currency: str
    excl: int
    tax: int
    incl: int


def charge_postings(
    billing_account_id: str, *, excl: int, tax: int, incl: int
) -> tuple[account.Posting, ...]:
    """An issued bill in the ledger: the customer owes the total, revenue and tax are earned.
    Zero legs are left out; a bill of nothing posts nothing."""
    legs = (
        account.Posting(billing_account_id, account.RECEIVABLE, incl),
        account.Posting(billing_account_id, account.REVENUE, -excl),
        account.Posting(billing_account_id, account.TAX, -tax),
    )
    kept = tuple(leg for leg in legs if leg.amount_minor != 0)
    return kept if len(kept) >= 2 else ()


def due_date(issued_at: datetime, terms_days: int | None, default_days: int) -> datetime:
    """Payment due ``terms_days`` after the bill date: the account's cycle's
    paymentDueDateOffset when it has one, the operator's payment terms otherwise."""
    return issued_at + timedelta(days=default_days if terms_days is None else terms_days)


def approve_run(
    database: Database,
    *,
    run_id: str,
    clock: Clock,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS,
    mark_billed: UsageMarker | None = None,
) -> RunSummary:
    """Issue every draft bill of a draft run: draft -> approving -> issued. Safe to call again
    after a crash (the run is then 'approving' and goes on with the bills still draft)."""
    marker = mark_billed or default_usage_marker()
    with database.unit_of_work() as session:
        run = get_run(session, run_id=run_id, lock=True)
        if run.state not in (DRAFT_RUN, APPROVING, ISSUED_RUN):
            raise Conflict("Bill run not a draft", detail=f"run {run_id} is {run.state}")
        total = session.scalar(select(func.count()).where(Bill.bill_run_id == run_id)) or 0
        left = (
            session.scalar(
                select(func.count()).where(Bill.bill_run_id == run_id, Bill.state == DRAFT_BILL)
            )
            or 0
        )
        if run.state == DRAFT_RUN:
            run.state = APPROVING
            run.updated_at = clock.now()
    if progress:
        progress(total - left, total)
    after_pk = 0  # drafts are issued in pk order: the next chunk starts past the last one
    while True:
        with database.unit_of_work() as session:
            run = get_run(session, run_id=run_id, lock=True)
            if run.state != APPROVING:
                break
            issued, after_pk = _issue_chunk(
                session, run, after_pk, chunk_size, clock.now(), payment_terms_days, marker
            )
            if not issued:
                run.state = ISSUED_RUN
                run.issued_at = run.updated_at = clock.now()
        if not issued:
            break
        if progress:
            progress(issued, total)
    with database.unit_of_work(write=False) as session:
        return run_summary(session, run_id=run_id)


def _issue_chunk(
    session: Session,
    run: BillRun,
    after_pk: int,
    chunk_size: int,
    now: datetime,
    default_terms: int,
    mark_billed: UsageMarker,
) -> tuple[int, int]:
    rows = session.execute(
        select(
            Bill.pk,
            Bill.id,
            Bill.billing_account_id,
            Bill.currency,
            Bill.amount_excl_tax_minor,
            Bill.tax_minor,
            Bill.amount_incl_tax_minor,
        )
        .where(Bill.bill_run_id == run.id, Bill.state == DRAFT_BILL, Bill.pk > after_pk)
        .order_by(Bill.pk)
        .limit(chunk_size)
    )
    drafts = [_Draft(*row) for row in rows]
    if not drafts:
        return 0, after_pk
    numbers = next_bill_numbers(session, count=len(drafts), issued_at=now)
    account_ids = sorted({draft.billing_account_id for draft in drafts})
    terms = account.billing_terms(session, account_ids=account_ids)
    updates: list[dict[str, Any]] = []
    transactions: list[account.Transaction] = []
    events: list[BillIssued] = []
    for draft, number in zip(drafts, numbers, strict=True):
        cycle = terms[draft.billing_account_id].cycle if draft.billing_account_id in terms else None
        due = due_date(now, cycle.payment_due_days if cycle else None, default_terms)
        updates.append(
            {
                "b_pk": draft.pk,
                "b_no": number,
                "b_state": ISSUED if draft.incl > 0 else SETTLED,
                "b_date": now,
                "b_due": due,
                "b_remaining": max(draft.incl, 0),
            }
        )
        postings = charge_postings(
            draft.billing_account_id, excl=draft.excl, tax=draft.tax, incl=draft.incl
        )
        if postings:
            transactions.append(
                account.Transaction(
                    "charge", draft.currency, postings, BILL_REFERENCE, draft.id, number
                )
            )
        events.append(
            BillIssued(
                bill_id=draft.id,
                billing_account_id=draft.billing_account_id,
                currency=draft.currency,
                amount_minor=draft.incl,
                payment_due_date=due,
                occurred_at=now,
            )
        )
    table = cast(Table, Bill.__table__)
    session.execute(
        update(table)
        .where(table.c.pk == bindparam("b_pk"), table.c.state == DRAFT_BILL)
        .values(
            bill_no=bindparam("b_no"),
            state=bindparam("b_state"),
            bill_date=bindparam("b_date"),
            payment_due_date=bindparam("b_due"),
            remaining_minor=bindparam("b_remaining"),
            issued_at=bindparam("b_date"),
            updated_at=bindparam("b_date"),
        ),
        updates,
    )
    account.post_transactions(session, transactions=transactions, now=now)
    mark_billed(
        session, account_ids=account_ids, before=run.period_end, rated_by=run.created_at, now=now
    )
    publish_many(session, events, now=now)
    run.updated_at = now
    return len(drafts), drafts[-1].pk
