"""TMF678 customerBill and appliedCustomerBillingRate reads (filtered and paged in SQL: a
cycle holds a bill per account) and the one write TMF678 allows on a bill, PATCH of its
state within the dispute lifecycle. An issued bill's money never changes (a credit note
corrects it); a draft changes only by rerunning its bill run."""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ossbss.billing.bills import DRAFT, ISSUED, PARTIALLY_PAID, SETTLED
from ossbss.billing.models import Bill, BillLine
from ossbss.billing.tmf_views import notify, render_bill, render_line
from ossbss.events.billing import BillSettled
from ossbss.kernel import publish
from ossbss.kernel.errors import Conflict, InvalidInput, InvalidStateTransition, NotFound
from ossbss.kernel.time import parse_datetime

ON_HOLD = "onHold"
# TMF678 stateValue; 'validated' is not used (approval issues a draft straight to sent).
STATES = ("new", ON_HOLD, "validated", ISSUED, PARTIALLY_PAID, SETTLED)
# The attributes a PATCH may carry besides state (TMF bookkeeping, no effect).
IGNORED = frozenset({"@type", "@baseType", "@schemaLocation", "id", "href"})
KIND_BY_CATEGORY = {"normal": ("regular", "onDemand"), "creditNote": ("creditNote",)}
KINDS = ("regular", "onDemand", "creditNote")


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    total: int


def _one_of(raw: str) -> list[str]:
    return [value for value in raw.split(",") if value]


def _instant(name: str, raw: str) -> datetime:
    try:
        return parse_datetime(raw)
    except ValueError:
        raise InvalidInput("Invalid date", field=name, detail="an ISO 8601 date-time") from None


DATE_COLUMNS = {"billDate": Bill.bill_date, "paymentDueDate": Bill.payment_due_date}
RANGE: dict[str, Callable[[Any, Any], Any]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def bill_conditions(params: Mapping[str, str]) -> list[ColumnElement[bool]]:
    """SQL conditions for the filters a customerBill list accepts (unknown ones are ignored,
    like every TMF list here)."""
    conditions: list[ColumnElement[bool]] = []
    if "state" in params:
        states = _one_of(params["state"])
        unknown = [s for s in states if s not in STATES]
        if unknown:
            raise InvalidInput(
                "Invalid filter", field="state", detail=f"unknown state {unknown[0]}"
            )
        conditions.append(Bill.state.in_(states))
    if "billingAccount.id" in params:
        conditions.append(Bill.billing_account_id.in_(_one_of(params["billingAccount.id"])))
    if "billNo" in params:
        conditions.append(Bill.bill_no.in_(_one_of(params["billNo"])))
    if "category" in params:
        kinds = [k for c in _one_of(params["category"]) for k in KIND_BY_CATEGORY.get(c, ())]
        conditions.append(Bill.kind.in_(kinds))
    if "kind" in params:  # our own bill kinds: regular, onDemand, creditNote
        conditions.append(Bill.kind.in_(_one_of(params["kind"])))
    if "runType" in params:
        run_types = _one_of(params["runType"])
        kinds = [k for k in KINDS if ("onCycle" if k == "regular" else "offCycle") in run_types]
        conditions.append(Bill.kind.in_(kinds))
    if "billRun.id" in params:
        conditions.append(Bill.bill_run_id.in_(_one_of(params["billRun.id"])))
    for name, column in DATE_COLUMNS.items():
        for op, compare in RANGE.items():
            key = f"{name}.{op}"
            if key in params:
                conditions.append(compare(column, _instant(key, params[key])))
    return conditions


def _lines_of(session: Session, bill_ids: list[str]) -> dict[str, list[BillLine]]:
    lines: dict[str, list[BillLine]] = defaultdict(list)
    if bill_ids:
        query = select(BillLine).where(BillLine.bill_id.in_(bill_ids)).order_by(BillLine.line_no)
        for line in session.scalars(query):
            lines[line.bill_id].append(line)
    return lines


def list_bills(session: Session, *, params: Mapping[str, str], offset: int, limit: int) -> Page:
    conditions = bill_conditions(params)
    total = session.scalar(select(func.count()).select_from(Bill).where(*conditions)) or 0
    query = (
        select(Bill)
        .where(*conditions)
        .order_by(Bill.bill_date.desc(), Bill.pk.desc())
        .offset(offset)
        .limit(limit)
    )
    bills = list(session.scalars(query))
    lines = _lines_of(session, [bill.id for bill in bills])
    return Page([render_bill(bill, lines[bill.id]) for bill in bills], total)


def _bill(session: Session, bill_id: str, *, lock: bool = False) -> Bill:
    query = select(Bill).where(Bill.id == bill_id)
    bill = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if bill is None:
        raise NotFound(f"No customerBill with id {bill_id}", field="id")
    return bill


def get_bill(session: Session, *, bill_id: str) -> dict[str, Any]:
    bill = _bill(session, bill_id)
    return render_bill(bill, _lines_of(session, [bill.id])[bill.id])


def list_lines(session: Session, *, params: Mapping[str, str], offset: int, limit: int) -> Page:
    conditions: list[ColumnElement[bool]] = []
    if "bill.id" in params:
        conditions.append(BillLine.bill_id.in_(_one_of(params["bill.id"])))
    if "type" in params:
        conditions.append(BillLine.type.in_(_one_of(params["type"])))
    if "product.id" in params:
        conditions.append(BillLine.product_id.in_(_one_of(params["product.id"])))
    joined = select(BillLine, Bill).join(Bill, Bill.id == BillLine.bill_id)
    if "billingAccount.id" in params:
        conditions.append(Bill.billing_account_id.in_(_one_of(params["billingAccount.id"])))
    total = (
        session.scalar(
            select(func.count())
            .select_from(BillLine)
            .join(Bill, Bill.id == BillLine.bill_id)
            .where(*conditions)
        )
        or 0
    )
    rows = session.execute(
        joined.where(*conditions).order_by(BillLine.pk).offset(offset).limit(limit)
    ).all()
    return Page([render_line(line, bill) for line, bill in rows], total)


def get_line(session: Session, *, line_id: str) -> dict[str, Any]:
    row = session.execute(
        select(BillLine, Bill).join(Bill, Bill.id == BillLine.bill_id).where(BillLine.id == line_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"No appliedCustomerBillingRate with id {line_id}", field="id")
    return render_line(row[0], row[1])


# --- PATCH: the dispute lifecycle ---------------------------------------------------------


def payment_state(bill: Bill) -> str:
    """The state an issued bill's money puts it in (what it returns to after a dispute)."""
    if bill.remaining_minor == 0:
        return SETTLED
    if bill.remaining_minor < bill.amount_incl_tax_minor:
        return PARTIALLY_PAID
    return ISSUED


def next_state(bill: Bill, wanted: str) -> str:
    """Pure rule: an open issued bill may be put on hold (disputed), and a held bill released
    (back to sent, or partiallyPaid if money was applied). Everything else moves by itself:
    payments (partiallyPaid, settled), approval of the run (new -> sent)."""
    if wanted == bill.state:
        return wanted
    if bill.state == DRAFT:
        raise InvalidStateTransition(
            "A draft bill changes only by rerunning or approving its bill run",
            field="state",
            detail=f"new -> {wanted} is not allowed",
        )
    if wanted == ON_HOLD and bill.state in (ISSUED, PARTIALLY_PAID):
        return ON_HOLD
    if bill.state == ON_HOLD and wanted in (ISSUED, PARTIALLY_PAID):
        return payment_state(bill)
    raise InvalidStateTransition(
        "State change not allowed",
        field="state",
        detail=f"{bill.state} -> {wanted}; allowed: sent|partiallyPaid -> onHold -> sent",
    )


def patch_bill(session: Session, *, bill_id: str, patch: Any, now: datetime) -> dict[str, Any]:
    if not isinstance(patch, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    bill = _bill(session, bill_id, lock=True)
    lines = _lines_of(session, [bill.id])[bill.id]
    current = render_bill(bill, lines)
    for name in sorted(patch):
        if name in IGNORED or name == "state":
            continue
        if name in current or name in CUSTOMER_BILL_ATTRIBUTES:
            what = (
                "an issued bill is corrected by a credit note"
                if bill.issued_at
                else ("a draft changes only by rerunning its bill run")
            )
            raise Conflict(f"{name} cannot be changed", field=name, detail=what)
        raise InvalidInput("Unknown attribute", field=name, detail="not a customerBill attribute")
    if "state" not in patch:
        return current
    wanted = patch["state"]
    if not isinstance(wanted, str) or wanted not in STATES:
        raise InvalidInput("Invalid state", field="state", detail=f"one of {', '.join(STATES)}")
    state = next_state(bill, wanted)
    if state == bill.state:
        return current
    bill.state = state
    bill.updated_at = now
    if state == SETTLED:  # released after a credit note took what remained
        event = BillSettled(
            bill_id=bill.id, billing_account_id=bill.billing_account_id, occurred_at=now
        )
        publish(session, event, now=now)
    document = render_bill(bill, lines)
    notify(session, resource="customerBill", change="StateChange", document=document, now=now)
    return document


CUSTOMER_BILL_ATTRIBUTES = frozenset(
    {
        "billDate",
        "billNo",
        "category",
        "lastUpdate",
        "nextBillDate",
        "paymentDueDate",
        "runType",
        "amountDue",
        "appliedPayment",
        "billDocument",
        "billingAccount",
        "billingPeriod",
        "financialAccount",
        "paymentMethod",
        "relatedParty",
        "remainingAmount",
        "taxExcludedAmount",
        "taxIncludedAmount",
        "taxItem",
        "appliedCustomerBillingRate",
    }
)
