"""Preview: each draft bill of a run next to the account's previous issued cycle bill, line by
line, with the reason of every difference. The rules are pure (``compare_bills``); the read
(``compare_run``) fetches both sides in a few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.billing.models import Bill, BillLine, BillRun
from ossbss.kernel.errors import NotFound

ISSUED_STATES = ("sent", "partiallyPaid", "settled", "onHold")


@dataclass(frozen=True, slots=True)
class LineSide:
    """The lines of one bill that share a (product, type), summed."""

    product_id: str | None
    product_name: str | None
    type: str
    amount_minor: int  # tax excluded
    tax_minor: int
    quantity: Decimal | None  # usage quantity when the lines carry one ("12.4 GB")
    unit: str
    covered_seconds: int  # billed period coverage (proration shows here)
    tax_rates: frozenset[str]


@dataclass(frozen=True, slots=True)
class LineDifference:
    product_id: str | None
    product_name: str | None
    type: str
    previous_minor: int
    current_minor: int
    delta_minor: int
    reason: str


@dataclass(frozen=True, slots=True)
class AccountComparison:
    billing_account_id: str
    currency: str
    bill_id: str
    previous_bill_id: str | None
    previous_total_minor: int  # tax included
    current_total_minor: int
    delta_minor: int
    lines: tuple[LineDifference, ...]


def _quantity(text: str | None) -> tuple[Decimal | None, str]:
    if not text:
        return None, ""
    number, _, unit = text.strip().partition(" ")
    try:
        return Decimal(number), unit
    except InvalidOperation:
        return None, ""


def group_lines(lines: Sequence[BillLine]) -> dict[tuple[str | None, str], LineSide]:
    """Lines matched by (product, type): several usage lines of a product compare as one."""
    groups: dict[tuple[str | None, str], list[BillLine]] = defaultdict(list)
    for line in lines:
        groups[(line.product_id, line.type)].append(line)
    sides = {}
    for key, members in groups.items():
        quantities = [_quantity(line.quantity) for line in members]
        units = {unit for number, unit in quantities if number is not None}
        total = (
            sum((number for number, _ in quantities if number is not None), Decimal(0))
            if len(units) == 1
            else None
        )
        sides[key] = LineSide(
            product_id=key[0],
            product_name=next((m.product_name for m in members if m.product_name), None),
            type=key[1],
            amount_minor=sum(m.amount_minor for m in members),
            tax_minor=sum(m.tax_minor for m in members),
            quantity=total,
            unit=units.pop() if len(units) == 1 else "",
            covered_seconds=sum(_seconds(m.period_start, m.period_end) for m in members),
            tax_rates=frozenset(Decimal(m.tax_rate).normalize().to_eng_string() for m in members),
        )
    return sides


def _seconds(start: datetime | None, end: datetime | None) -> int:
    return int((end - start).total_seconds()) if start and end else 0


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def line_reason(
    previous: LineSide | None,
    current: LineSide | None,
    *,
    previous_products: frozenset[str | None],
    current_products: frozenset[str | None],
    previous_period_seconds: int,
    current_period_seconds: int,
) -> str:
    """Why one (product, type) differs between the previous bill and the draft."""
    if previous is None:
        assert current is not None
        if current.product_id not in previous_products:
            return "new product"
        return f"new {current.type} charge"
    if current is None:
        if previous.product_id not in current_products:
            return "product ended"
        return f"no {previous.type} charge this cycle"
    if previous.tax_rates != current.tax_rates:
        return f"tax change ({', '.join(sorted(previous.tax_rates))}% -> " + (
            f"{', '.join(sorted(current.tax_rates))}%)"
        )
    if current.type == "usage":
        if previous.quantity is not None and current.quantity is not None:
            change = current.quantity - previous.quantity
            unit = f" {current.unit}" if current.unit else ""
            if change:
                way = "up" if change > 0 else "down"
                return f"usage {way} by {_number(abs(change))}{unit}"
        return "usage up" if current.amount_minor > previous.amount_minor else "usage down"
    if current.type == "discount":
        return "discount change"
    if current.type in ("adjustment", "credit"):
        return f"{current.type} change"
    if current.type == "recurring" and _prorated(
        previous, current, previous_period_seconds, current_period_seconds
    ):
        return "proration"
    if current.type == "oneTime":
        return "one-time charges differ"
    return "price changed"


def _prorated(
    previous: LineSide, current: LineSide, previous_period: int, current_period: int
) -> bool:
    """A recurring charge covering less than its whole cycle (activation, termination,
    suspension, speed change) on one side only."""

    def partial(side: LineSide, period: int) -> bool:
        return side.covered_seconds > 0 and period > 0 and side.covered_seconds != period

    return partial(previous, previous_period) != partial(current, current_period) or (
        previous.covered_seconds != current.covered_seconds and partial(current, current_period)
    )


def compare_bills(
    current: Bill,
    current_lines: Sequence[BillLine],
    previous: Bill | None,
    previous_lines: Sequence[BillLine],
) -> AccountComparison:
    """Pure: the draft vs the previous bill, one difference per changed (product, type)."""
    now_sides = group_lines(current_lines)
    then_sides = group_lines(previous_lines)
    now_products = frozenset(key[0] for key in now_sides)
    then_products = frozenset(key[0] for key in then_sides)
    differences = []
    for key in sorted(set(now_sides) | set(then_sides), key=lambda k: (k[0] or "", k[1])):
        now_side, then_side = now_sides.get(key), then_sides.get(key)
        now_amount = now_side.amount_minor if now_side else 0
        then_amount = then_side.amount_minor if then_side else 0
        same = (
            now_side is not None
            and then_side is not None
            and now_amount == then_amount
            and now_side.tax_rates == then_side.tax_rates
        )
        if same:
            continue
        shown = now_side or then_side
        assert shown is not None
        differences.append(
            LineDifference(
                product_id=key[0],
                product_name=shown.product_name,
                type=key[1],
                previous_minor=then_amount,
                current_minor=now_amount,
                delta_minor=now_amount - then_amount,
                reason=line_reason(
                    then_side,
                    now_side,
                    previous_products=then_products,
                    current_products=now_products,
                    previous_period_seconds=_seconds(
                        previous.period_start if previous else None,
                        previous.period_end if previous else None,
                    ),
                    current_period_seconds=_seconds(current.period_start, current.period_end),
                ),
            )
        )
    previous_total = previous.amount_incl_tax_minor if previous else 0
    return AccountComparison(
        billing_account_id=current.billing_account_id,
        currency=current.currency,
        bill_id=current.id,
        previous_bill_id=previous.id if previous else None,
        previous_total_minor=previous_total,
        current_total_minor=current.amount_incl_tax_minor,
        delta_minor=current.amount_incl_tax_minor - previous_total,
        lines=tuple(differences),
    )


def _lines(session: Session, bill_ids: list[str]) -> dict[str, list[BillLine]]:
    lines: dict[str, list[BillLine]] = defaultdict(list)
    for start in range(0, len(bill_ids), 1000):
        chunk = bill_ids[start : start + 1000]
        query = select(BillLine).where(BillLine.bill_id.in_(chunk)).order_by(BillLine.line_no)
        for line in session.scalars(query):
            lines[line.bill_id].append(line)
    return lines


def _previous_bills(
    session: Session, *, account_ids: list[str], before: datetime
) -> dict[str, Bill]:
    """Each account's latest issued cycle bill whose period starts before ``before``."""
    found: dict[str, Bill] = {}
    for start in range(0, len(account_ids), 1000):
        chunk = account_ids[start : start + 1000]
        query = (
            select(Bill)
            .where(
                Bill.billing_account_id.in_(chunk),
                Bill.kind == "regular",
                Bill.state.in_(ISSUED_STATES),
                Bill.period_start < before,
            )
            .order_by(Bill.billing_account_id, Bill.period_start.desc(), Bill.pk.desc())
        )
        for bill in session.scalars(query):
            found.setdefault(bill.billing_account_id, bill)
    return found


def compare_run(
    session: Session, *, run_id: str, account_id: str | None = None
) -> list[AccountComparison]:
    """Every bill of the run (or one account's) next to that account's previous cycle bill."""
    run = session.scalars(select(BillRun).where(BillRun.id == run_id)).one_or_none()
    if run is None:
        raise NotFound(f"No bill run with id {run_id}", field="id")
    query = select(Bill).where(Bill.bill_run_id == run_id)
    if account_id is not None:
        query = query.where(Bill.billing_account_id == account_id)
    bills = list(session.scalars(query.order_by(Bill.billing_account_id)))
    previous = _previous_bills(
        session, account_ids=[b.billing_account_id for b in bills], before=run.period_start
    )
    lines = _lines(session, [b.id for b in bills] + [p.id for p in previous.values()])
    return [
        compare_bills(
            bill,
            lines[bill.id],
            previous.get(bill.billing_account_id),
            lines[previous[bill.billing_account_id].id]
            if bill.billing_account_id in previous
            else [],
        )
        for bill in bills
    ]


def comparison_document(comparison: AccountComparison) -> dict[str, object]:
    """The JSON shape of a comparison (HTTP extension and CLI --json); amounts in minor units."""
    return {
        "billingAccount": {"id": comparison.billing_account_id},
        "customerBill": {"id": comparison.bill_id},
        "previousCustomerBill": (
            {"id": comparison.previous_bill_id} if comparison.previous_bill_id else None
        ),
        "currency": comparison.currency,
        "previousTotalMinor": comparison.previous_total_minor,
        "currentTotalMinor": comparison.current_total_minor,
        "deltaMinor": comparison.delta_minor,
        "lines": [
            {
                "product": {"id": d.product_id, "name": d.product_name} if d.product_id else None,
                "type": d.type,
                "previousMinor": d.previous_minor,
                "currentMinor": d.current_minor,
                "deltaMinor": d.delta_minor,
                "reason": d.reason,
            }
            for d in comparison.lines
        ],
    }
