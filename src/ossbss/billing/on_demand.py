"""On-demand bills (TMF678 customerBillOnDemand): an account billed now, off its cycle, for
[start of its current cycle period, now) or a given period — an account closing, a customer
asking. The charges are the run's (compute_charges), the bill is issued at once; a charge
failure ends the request in terminatedWithError with the reason, and no bill."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss import account, usage
from ossbss.billing.adjustments import mark_adjustments_billed, pending_adjustments
from ossbss.billing.charges import AccountCharges, ChargeFailure, compute_charges
from ossbss.billing.issue_off_cycle import issue_now
from ossbss.billing.models import Bill, BillLine, BillOnDemand
from ossbss.billing.tmf_views import notify, render_on_demand
from ossbss.kernel.errors import DomainError, InvalidInput, NotFound
from ossbss.kernel.ids import new_id
from ossbss.kernel.time import Period, parse_datetime

DONE = "done"
FAILED = "terminatedWithError"


def current_period_start(session: Session, *, billing_account_id: str, now: datetime) -> datetime:
    cycle = account.bill_cycle_for(session, account_id=billing_account_id)
    period = cycle.period_containing(now) if cycle else account.billing_period(now)
    return period.start


def _period(session: Session, payload: dict[str, Any], account_id: str, now: datetime) -> Period:
    given = payload.get("billingPeriod")
    if given is None:
        return Period(current_period_start(session, billing_account_id=account_id, now=now), now)
    if not isinstance(given, dict):
        raise InvalidInput("Invalid billingPeriod", field="billingPeriod", detail="a TimePeriod")
    try:
        start = parse_datetime(str(given["startDateTime"]))
        end = parse_datetime(str(given.get("endDateTime") or now.isoformat()))
    except (KeyError, ValueError):
        raise InvalidInput(
            "Invalid billingPeriod",
            field="billingPeriod.startDateTime",
            detail="startDateTime (and endDateTime) as ISO 8601 date-times",
        ) from None
    if not start < end or end > now:
        raise InvalidInput(
            "Invalid billingPeriod", field="billingPeriod", detail="start < end <= now"
        )
    return Period(start, end)


def request_bill(session: Session, *, payload: Any, now: datetime) -> dict[str, Any]:
    """POST customerBillOnDemand: the request, already done (the bill) or failed (why)."""
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    reference = payload.get("billingAccount")
    if not isinstance(reference, dict) or not isinstance(reference.get("id"), str):
        raise InvalidInput("Missing billingAccount", field="billingAccount.id")
    account_id = reference["id"]
    try:
        account.get_billing_account(session, account_id=account_id)
    except NotFound:  # a reference in a body that leads nowhere is bad input (TMF678: no 404)
        raise InvalidInput(
            "Unknown billing account", field="billingAccount.id", detail=account_id
        ) from None
    for name in ("name", "description"):
        if name in payload and not isinstance(payload[name], str):
            raise InvalidInput("Invalid type", field=name, detail="must be string")
    period = _period(session, payload, account_id, now)
    request = BillOnDemand(
        id=new_id(),
        billing_account_id=account_id,
        name=payload.get("name"),
        description=payload.get("description"),
        state="inProgress",
        period_start=period.start,
        period_end=period.end,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    try:
        with session.begin_nested():
            request.bill_id = bill_on_demand(
                session, billing_account_id=account_id, period=period, now=now
            )
        request.state = DONE
    except DomainError as error:
        request.state, request.reason = FAILED, (error.message or error.reason)[:500]
    session.flush()
    document = render_on_demand(request)
    notify(session, resource="customerBillOnDemand", change="Create", document=document, now=now)
    return document


def bill_on_demand(
    session: Session, *, billing_account_id: str, period: Period, now: datetime
) -> str:
    """Bill the account's charges (and pending adjustments) for ``period`` now; the bill id."""
    [charges] = compute_charges(session, account_ids=[billing_account_id], period=period, now=now)
    if isinstance(charges, ChargeFailure):
        raise InvalidInput("The account cannot be billed", detail=charges.reason)
    adjustments = pending_adjustments(session, account_ids=[billing_account_id]).get(
        billing_account_id, []
    )
    adjustments = [a for a in adjustments if a.currency == charges.currency]
    bill, lines = _bill_rows(charges, adjustments, period, now)
    if not lines:
        raise InvalidInput("Nothing to bill", detail=f"no charges in {period.start}..{period.end}")
    session.add(bill)
    session.flush()
    session.add_all(lines)
    issue_now(session, bill=bill, lines=lines, now=now)
    usage.mark_billed_through(
        session,
        account_ids=[billing_account_id],
        before=charges.usage_before,
        rated_by=charges.usage_rated_by,
        now=now,
    )
    if adjustments:
        mark_adjustments_billed(
            session,
            bill_ids_by_account={billing_account_id: bill.id},
            adjustment_ids=[a.id for a in adjustments],
        )
    return bill.id


def _bill_rows(
    charges: AccountCharges, adjustments: list[Any], period: Period, now: datetime
) -> tuple[Bill, list[BillLine]]:
    bill_id = new_id()
    lines = [
        BillLine(
            id=new_id(),
            bill_id=bill_id,
            line_no=number,
            product_id=line.product_id,
            product_name=line.product_name,
            offering_id=line.offering_id,
            type=line.type,
            description=line.description,
            period_start=line.period_start,
            period_end=line.period_end,
            quantity=line.quantity,
            amount_minor=line.amount_minor,
            tax_category=line.tax_category,
            tax_rate=str(line.tax_rate),
            tax_minor=line.tax_minor,
        )
        for number, line in enumerate([*charges.lines, *adjustments], start=1)
    ]
    excl = sum(line.amount_minor for line in lines)
    tax = sum(line.tax_minor for line in lines)
    bill = Bill(
        id=bill_id,
        kind="onDemand",
        billing_account_id=charges.billing_account_id,
        bill_run_id=None,
        state="new",
        currency=charges.currency,
        period_start=period.start,
        period_end=period.end,
        bill_date=now,
        amount_excl_tax_minor=excl,
        tax_minor=tax,
        amount_incl_tax_minor=excl + tax,
        remaining_minor=max(excl + tax, 0),
        created_at=now,
        updated_at=now,
    )
    return bill, lines


def list_requests(session: Session, *, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    total = session.scalar(select(func.count()).select_from(BillOnDemand)) or 0
    query = select(BillOnDemand).order_by(BillOnDemand.pk.desc()).offset(offset).limit(limit)
    return [render_on_demand(row) for row in session.scalars(query)], total


def get_request(session: Session, *, request_id: str) -> dict[str, Any]:
    row = session.scalars(select(BillOnDemand).where(BillOnDemand.id == request_id)).one_or_none()
    if row is None:
        raise NotFound(f"No customerBillOnDemand with id {request_id}", field="id")
    return render_on_demand(row)
