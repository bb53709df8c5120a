"""Credit notes: an issued bill is never changed; money given back is a new bill of kind
creditNote with negative amounts, its own number, issued at once, posted to the ledger as a
'credit' (RECEIVABLE -total, REVENUE +excl, TAX +tax). The credit first reduces what remains
due on the original bill; what the bill no longer owes stays as account credit (the ledger's
negative RECEIVABLE). ADR 0021."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.billing.bills import ISSUED, PARTIALLY_PAID, SETTLED
from ossbss.billing.issue_off_cycle import issue_now
from ossbss.billing.models import Bill, BillLine
from ossbss.events.billing import BillSettled
from ossbss.kernel import publish
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound
from ossbss.kernel.ids import new_id

ON_HOLD = "onHold"
CREDITABLE_STATES = frozenset({ISSUED, PARTIALLY_PAID, SETTLED, ON_HOLD})
OPEN_STATES = frozenset({ISSUED, PARTIALLY_PAID, ON_HOLD})


@dataclass(frozen=True, slots=True)
class LineAmount:
    """One original line as the split sees it: its key and amounts (tax excl., tax)."""

    key: str
    amount_minor: int
    tax_minor: int

    @property
    def incl_minor(self) -> int:
        return self.amount_minor + self.tax_minor


@dataclass(frozen=True, slots=True)
class CreditShare:
    key: str
    amount_minor: int  # tax excluded, positive: what is credited
    tax_minor: int


def _round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    return sign * (quotient + (1 if 2 * remainder >= abs(denominator) else 0))


def split_line(line: LineAmount, incl_minor: int) -> CreditShare:
    """A tax-included credit on one line, split into tax-excluded and tax in the line's own
    proportion (so the credit carries the tax rate of what it credits)."""
    if line.incl_minor == 0:
        return CreditShare(line.key, incl_minor, 0)
    tax = _round_div(incl_minor * line.tax_minor, line.incl_minor)
    return CreditShare(line.key, incl_minor - tax, tax)


def split_credit(lines: Sequence[LineAmount], incl_minor: int) -> list[CreditShare]:
    """Spread a tax-included credit over the bill's chargeable lines in proportion to their
    tax-included amounts (largest remainder: the shares add up to the credit exactly), then
    split each share into amount and tax at its line's ratio. Discount lines (negative) take
    no share: a credit never adds to a discount."""
    positive = [line for line in lines if line.incl_minor > 0]
    base = sum(line.incl_minor for line in positive)
    if incl_minor <= 0 or base <= 0:
        return []
    floors = [(incl_minor * line.incl_minor) // base for line in positive]
    remainders = [(incl_minor * line.incl_minor) % base for line in positive]
    short = incl_minor - sum(floors)
    for index in sorted(range(len(positive)), key=lambda i: (-remainders[i], i))[:short]:
        floors[index] += 1
    return [split_line(line, share) for line, share in zip(positive, floors, strict=True) if share]


def mirror(lines: Sequence[LineAmount]) -> list[CreditShare]:
    """A full credit of an uncredited bill: every line given back as it was."""
    return [CreditShare(line.key, line.amount_minor, line.tax_minor) for line in lines]


def _original(session: Session, bill_id: str) -> Bill:
    bill = session.scalars(select(Bill).where(Bill.id == bill_id).with_for_update()).one_or_none()
    if bill is None:
        raise NotFound(f"No customerBill with id {bill_id}", field="bill")
    if bill.kind == "creditNote":
        raise Conflict("A credit note cannot be credited", field="bill", detail=bill_id)
    if bill.state not in CREDITABLE_STATES:
        raise Conflict(
            "Only an issued bill is credited",
            field="bill",
            detail=f"bill {bill_id} is {bill.state}; a draft changes by rerunning its run",
        )
    return bill


def credited_so_far(session: Session, *, bill_id: str) -> int:
    """Tax-included total of the credit notes already issued on the bill (positive)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Bill.amount_incl_tax_minor), 0)).where(
            Bill.corrects_bill_id == bill_id, Bill.kind == "creditNote"
        )
    )
    return -int(total or 0)


def _shares(
    lines: list[BillLine],
    *,
    amount_minor: int | None,
    line_amounts: Mapping[str, int] | None,
    full_and_fresh: bool,
) -> list[CreditShare]:
    by_id = {line.id: LineAmount(line.id, line.amount_minor, line.tax_minor) for line in lines}
    if line_amounts is not None:
        shares = []
        for line_id, incl in line_amounts.items():
            line = by_id.get(line_id)
            if line is None:
                raise InvalidInput("Unknown bill line", field="lines", detail=line_id)
            if incl <= 0 or incl > line.incl_minor:
                raise Conflict(
                    "Credit exceeds the line",
                    field="lines",
                    detail=f"line {line_id}: 0 < credit <= {line.incl_minor}",
                )
            shares.append(split_line(line, incl))
        return shares
    assert amount_minor is not None
    if full_and_fresh:
        return mirror(list(by_id.values()))
    return split_credit(list(by_id.values()), amount_minor)


def credit_note(
    session: Session,
    *,
    bill_id: str,
    reason: str,
    now: datetime,
    amount_minor: int | None = None,
    lines: Mapping[str, int] | None = None,
) -> Bill:
    """Credit ``amount_minor`` (tax included) of the bill, or the given tax-included amounts of
    some of its lines (line id -> amount); the issued credit note. 409 beyond what is left."""
    if (amount_minor is None) == (lines is None):
        raise InvalidInput("Give an amount or lines", field="amount", detail="exactly one of them")
    if amount_minor is not None and (isinstance(amount_minor, bool) or amount_minor <= 0):
        raise InvalidInput("Invalid amount", field="amount", detail="must be positive")
    if not reason or not reason.strip():
        raise InvalidInput("A credit note needs a reason", field="reason")
    original = _original(session, bill_id)
    originals = list(
        session.scalars(
            select(BillLine).where(BillLine.bill_id == bill_id).order_by(BillLine.line_no)
        )
    )
    already = credited_so_far(session, bill_id=bill_id)
    creditable = original.amount_incl_tax_minor - already
    asked = amount_minor if amount_minor is not None else sum((lines or {}).values())
    if asked > creditable:
        raise Conflict(
            "Credit exceeds the bill",
            field="amount",
            detail=f"at most {creditable} minor units are left to credit on this bill",
        )
    shares = _shares(
        originals,
        amount_minor=amount_minor,
        line_amounts=lines,
        full_and_fresh=already == 0 and asked == original.amount_incl_tax_minor,
    )
    note = _note(original, shares, {line.id: line for line in originals}, reason, now)
    session.add(note.bill)
    session.flush()  # the lines refer to it
    session.add_all(note.lines)
    issue_now(session, bill=note.bill, lines=note.lines, now=now)
    _apply_to_original(session, original, -note.bill.amount_incl_tax_minor, now)
    return note.bill


@dataclass
class _Note:
    bill: Bill
    lines: list[BillLine]


def _note(
    original: Bill,
    shares: list[CreditShare],
    originals: Mapping[str, BillLine],
    reason: str,
    now: datetime,
) -> _Note:
    bill_id = new_id()
    lines = []
    for number, share in enumerate(shares, start=1):
        source = originals[share.key]
        lines.append(
            BillLine(
                id=new_id(),
                bill_id=bill_id,
                line_no=number,
                product_id=source.product_id,
                product_name=source.product_name,
                offering_id=source.offering_id,
                type="credit",
                description=f"Credit: {source.description}"[:255],
                period_start=source.period_start,
                period_end=source.period_end,
                quantity=None,
                amount_minor=-share.amount_minor,
                tax_category=source.tax_category,
                tax_rate=source.tax_rate,
                tax_minor=-share.tax_minor,
            )
        )
    excl = sum(line.amount_minor for line in lines)
    tax = sum(line.tax_minor for line in lines)
    bill = Bill(
        id=bill_id,
        kind="creditNote",
        billing_account_id=original.billing_account_id,
        bill_run_id=None,
        state="new",
        currency=original.currency,
        period_start=original.period_start,
        period_end=original.period_end,
        bill_date=now,
        payment_due_date=None,
        amount_excl_tax_minor=excl,
        tax_minor=tax,
        amount_incl_tax_minor=excl + tax,
        remaining_minor=0,  # nothing is due on a credit note
        corrects_bill_id=original.id,
        reason=reason.strip()[:255],
        created_at=now,
        updated_at=now,
    )
    return _Note(bill, lines)


def _apply_to_original(session: Session, original: Bill, credited: int, now: datetime) -> None:
    """What the original bill still owes shrinks by the credit (never below zero)."""
    if original.state not in OPEN_STATES or original.remaining_minor <= 0:
        return
    original.remaining_minor -= min(credited, original.remaining_minor)
    original.updated_at = now
    if original.state == ON_HOLD:
        return  # a disputed bill stays held until released
    if original.remaining_minor == 0:
        original.state = SETTLED
        publish(
            session,
            BillSettled(
                bill_id=original.id,
                billing_account_id=original.billing_account_id,
                occurred_at=now,
            ),
            now=now,
        )
    else:
        original.state = PARTIALLY_PAID
