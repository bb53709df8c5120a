"""What the billing desk (the console) reads and starts: the cycles a run may bill with the
period each would bill by default, a cycle's run started the way the billRun API starts one,
and the bill list filtered and paged in SQL as narrow rows (no TMF document building)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ossbss import account, tmf
from ossbss.billing import run as bill_run
from ossbss.billing.charges import DEFAULT_CYCLE
from ossbss.billing.cli import bill_period, cycle_of
from ossbss.billing.models import Bill
from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.kernel.time import Period

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CYCLES_SHOWN = 100


@dataclass(frozen=True, slots=True)
class CycleChoice:
    """A cycle a run can bill, and the period it bills unless told otherwise (the one that
    ended last)."""

    id: str
    name: str
    last_closed: Period


def bill_cycles(session: Session, *, now: datetime) -> list[CycleChoice]:
    """The default cycle (accounts with none chosen) and every billingCycleSpecification."""
    default = bill_period(None, month=None, as_of=now)
    choices = [CycleChoice(DEFAULT_CYCLE, "Default (monthly on the 1st)", default)]
    page = tmf.list_resources(
        session,
        resource=account.BILLING_CYCLE_SPECIFICATION,
        query=tmf.ListQuery(limit=CYCLES_SHOWN),
    )
    for cycle_id, body in page.items:
        document = {**orjson.loads(body), "id": cycle_id}
        cycle = account.bill_cycle(document)
        choices.append(
            CycleChoice(
                cycle_id,
                str(document.get("name") or cycle_id),
                bill_period(cycle, month=None, as_of=now),
            )
        )
    return choices


def start_cycle_run(session: Session, *, cycle_id: str, month: str | None, now: datetime) -> str:
    """The run of ``cycle_id`` for the cycle period starting in ``month`` (YYYY-MM; None: the
    period that ended last), started or continued, as POST billRun does. The drafting itself
    is ``run_bills``, in the background."""
    if not cycle_id:
        raise InvalidInput("Missing cycle", field="cycle")
    period = bill_period(cycle_of(session, cycle_id), month=month or None, as_of=now)
    if period.end is not None and period.end > now:
        raise InvalidInput("Invalid period", field="period", detail="the period has not ended")
    return bill_run.start_run(session, cycle_id=cycle_id, period=period, now=now)


def begin_approval(session: Session, *, run_id: str, now: datetime) -> None:
    """Mark a draft run ``approving`` in the caller's transaction, so whoever looks next sees
    the approval under way; ``approve_run`` (in the background) then issues its bills. A run
    already approving or issued is left as it is (approving again goes on where it stopped)."""
    run = bill_run.get_run(session, run_id=run_id, lock=True)
    if run.state == bill_run.DRAFT_RUN:
        run.state = bill_run.APPROVING
        run.updated_at = now
    elif run.state not in (bill_run.APPROVING, bill_run.ISSUED_RUN):
        raise Conflict("Bill run not a draft", field="state", detail=f"the run is {run.state}")


@dataclass(frozen=True, slots=True)
class BillRow:
    id: str
    bill_no: str | None
    kind: str
    state: str
    billing_account_id: str
    bill_run_id: str | None
    currency: str
    period_start: datetime | None
    period_end: datetime | None
    bill_date: datetime
    payment_due_date: datetime | None
    amount_excl_tax_minor: int
    tax_minor: int
    amount_incl_tax_minor: int
    remaining_minor: int


@dataclass(frozen=True, slots=True)
class BillPage:
    rows: list[BillRow]
    total: int


def month_start(month: str) -> datetime:
    """``YYYY-MM`` as the first instant of that month (UTC)."""
    found = MONTH.match(month.strip())
    if not found or not 1 <= int(found[2]) <= 12:
        raise InvalidInput("Invalid period", field="period", detail="YYYY-MM")
    return datetime(int(found[1]), int(found[2]), 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def bill_filters(
    *,
    state: str | None = None,
    number: str | None = None,
    account_id: str | None = None,
    period: str | None = None,
    run_id: str | None = None,
) -> list[ColumnElement[bool]]:
    """SQL conditions: exact state, bill number prefix, account, bills whose period starts in
    the month ``period`` (YYYY-MM), the run."""
    conditions: list[ColumnElement[bool]] = []
    if state:
        conditions.append(Bill.state == state)
    if number:
        conditions.append(Bill.bill_no.startswith(number, autoescape=True))
    if account_id:
        conditions.append(Bill.billing_account_id == account_id)
    if period:
        start = month_start(period)
        conditions.append(Bill.period_start >= start)
        conditions.append(Bill.period_start < _next_month(start))
    if run_id:
        conditions.append(Bill.bill_run_id == run_id)
    return conditions


def list_bill_rows(
    session: Session,
    *,
    state: str | None = None,
    number: str | None = None,
    account_id: str | None = None,
    period: str | None = None,
    run_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> BillPage:
    """Bills, the newest first, filtered and paged in SQL."""
    conditions = bill_filters(
        state=state, number=number, account_id=account_id, period=period, run_id=run_id
    )
    total = session.scalar(select(func.count()).select_from(Bill).where(*conditions)) or 0
    query = (
        select(Bill)
        .where(*conditions)
        .order_by(Bill.bill_date.desc(), Bill.pk.desc())
        .offset(max(offset, 0))
        .limit(max(min(limit, 200), 1))
    )
    return BillPage([_row(bill) for bill in session.scalars(query)], int(total))


def _row(bill: Bill) -> BillRow:
    return BillRow(
        id=bill.id,
        bill_no=bill.bill_no,
        kind=bill.kind,
        state=bill.state,
        billing_account_id=bill.billing_account_id,
        bill_run_id=bill.bill_run_id,
        currency=bill.currency,
        period_start=bill.period_start,
        period_end=bill.period_end,
        bill_date=bill.bill_date,
        payment_due_date=bill.payment_due_date,
        amount_excl_tax_minor=bill.amount_excl_tax_minor,
        tax_minor=bill.tax_minor,
        amount_incl_tax_minor=bill.amount_incl_tax_minor,
        remaining_minor=bill.remaining_minor,
    )
