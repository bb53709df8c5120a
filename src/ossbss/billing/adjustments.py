"""Adjustments: a signed amount (a goodwill or SLA credit, a fee) recorded now and billed on
the account's next bill as an 'adjustment' line. Nothing is posted to the ledger until then:
the bill's charge carries it (ADR 0021)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.billing.models import Adjustment
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.ids import new_id
from ossbss.kernel.money import UnknownCurrency, check_currency

SOURCES = frozenset({"manual", "sla", "goodwill", "fee", "correction"})


@dataclass(frozen=True, slots=True)
class PendingAdjustment:
    """An adjustment waiting for a bill, with the bill line fields it becomes (ChargeLine's
    names, so a bill run turns it into a line as it does a charge)."""

    id: str
    billing_account_id: str
    currency: str
    type: str  # always "adjustment"
    description: str
    amount_minor: int  # tax excluded
    tax_rate: Decimal
    tax_minor: int
    source: str
    created_at: datetime
    # A bill line's other fields, empty for an adjustment.
    product_id: None = None
    product_name: None = None
    offering_id: None = None
    period_start: None = None
    period_end: None = None
    quantity: None = None
    tax_category: None = None


def tax_on(amount_minor: int, rate: Decimal) -> int:
    """Tax on a tax-excluded amount, half away from zero to the minor unit."""
    exact = Decimal(amount_minor) * rate / 100
    return int(exact.to_integral_value(rounding="ROUND_HALF_UP"))


def _rate(text: str | Decimal) -> Decimal:
    try:
        rate = Decimal(str(text))
    except InvalidOperation:
        raise InvalidInput(
            "Invalid tax rate", field="taxRate", detail="a decimal percent"
        ) from None
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise InvalidInput("Invalid tax rate", field="taxRate", detail="0..100 percent")
    return rate


def add_adjustment(
    session: Session,
    *,
    billing_account_id: str,
    amount_minor: int,
    currency: str,
    reason: str,
    source: str,
    now: datetime,
    tax_rate: str | Decimal = "0",
) -> PendingAdjustment:
    """Record an adjustment for the next bill: negative credits the customer, positive charges."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor == 0:
        raise InvalidInput("Invalid amount", field="amount", detail="a non-zero integer")
    try:
        check_currency(currency)
    except UnknownCurrency as exc:
        raise InvalidInput("Invalid currency", field="currency", detail=str(exc)) from None
    if not reason or not reason.strip():
        raise InvalidInput("An adjustment needs a reason", field="reason")
    if source not in SOURCES:
        raise InvalidInput("Invalid source", field="source", detail=f"one of {sorted(SOURCES)}")
    # the account must exist: an adjustment for nobody would be lost
    account.get_billing_account(session, account_id=billing_account_id)
    row = Adjustment(
        id=new_id(),
        billing_account_id=billing_account_id,
        amount_minor=amount_minor,
        currency=currency,
        tax_rate=str(_rate(tax_rate)),
        reason=reason.strip()[:255],
        source=source,
        created_at=now,
        billed_on_bill_id=None,
    )
    session.add(row)
    session.flush()
    return _pending(row)


def _pending(row: Adjustment) -> PendingAdjustment:
    rate = Decimal(row.tax_rate)
    return PendingAdjustment(
        id=row.id,
        billing_account_id=row.billing_account_id,
        currency=row.currency,
        type="adjustment",
        description=f"Adjustment: {row.reason}"[:255],
        amount_minor=row.amount_minor,
        tax_rate=rate,
        tax_minor=tax_on(row.amount_minor, rate),
        source=row.source,
        created_at=row.created_at,
    )


def pending_adjustments(
    session: Session, *, account_ids: Sequence[str], created_before: datetime | None = None
) -> dict[str, list[PendingAdjustment]]:
    """Unbilled adjustments of the accounts, oldest first (bulk: a bill run asks per chunk)."""
    found: dict[str, list[PendingAdjustment]] = defaultdict(list)
    if not account_ids:
        return {}
    query = select(Adjustment).where(
        Adjustment.billing_account_id.in_(list(account_ids)),
        Adjustment.billed_on_bill_id.is_(None),
    )
    if created_before is not None:
        query = query.where(Adjustment.created_at < created_before)
    for row in session.scalars(query.order_by(Adjustment.pk)):
        found[row.billing_account_id].append(_pending(row))
    return dict(found)


def mark_adjustments_billed(
    session: Session,
    *,
    bill_ids_by_account: Mapping[str, str],
    adjustment_ids: Sequence[str] | None = None,
) -> int:
    """The accounts' pending adjustments are now on those bills; how many were marked.
    ``adjustment_ids`` (those the bill carries) keeps an adjustment added meanwhile pending."""
    marked = 0
    for account_id, bill_id in bill_ids_by_account.items():
        statement = update(Adjustment).where(
            Adjustment.billing_account_id == account_id,
            Adjustment.billed_on_bill_id.is_(None),
        )
        if adjustment_ids is not None:
            statement = statement.where(Adjustment.id.in_(list(adjustment_ids)))
        result = session.execute(statement.values(billed_on_bill_id=bill_id))
        marked += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return marked


def release_adjustments(session: Session, *, bill_ids: Any) -> None:
    """Adjustments carried by draft bills thrown away wait for the next bill again."""
    session.execute(
        update(Adjustment)
        .where(Adjustment.billed_on_bill_id.in_(bill_ids))
        .values(billed_on_bill_id=None)
        .execution_options(synchronize_session=False)
    )
