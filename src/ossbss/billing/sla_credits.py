"""SLA credits: performance's SlaBreached becomes a pending adjustment (source "sla") on the
product's billing account, worth the breach's credit percent of the product's monthly
recurring charge. Once per product and month, whatever redeliveries or re-evaluations do."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ossbss import product_inventory
from ossbss.billing.adjustments import PendingAdjustment, add_adjustment
from ossbss.events.performance import SlaBreached
from ossbss.kernel.db import Base, UTCDateTime
from ossbss.kernel.errors import NotFound
from ossbss.kernel.money import Money

# One recurring price's period -> how many of them make a month (a day: that month's days).
_PER_MONTH = {"month": Decimal(1), "year": Decimal(1) / 12, "week": Decimal(52) / 12}


class SlaCredit(Base):
    """The adjustment an SLA breach gave (the key that makes the credit happen once)."""

    __tablename__ = "billing_sla_credit"
    __table_args__ = (UniqueConstraint("product_id", "period_start"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    adjustment_id: Mapped[str | None] = mapped_column(String(36))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def monthly_charge(
    prices: Sequence[product_inventory.RecurringPrice], *, month_start: datetime
) -> tuple[Decimal, str] | None:
    """The recurring charge of one month, exact, in the first price's currency (None when the
    product has no recurring price)."""
    if not prices:
        return None
    currency = prices[0].currency
    days = calendar.monthrange(month_start.year, month_start.month)[1]
    total = Decimal(0)
    for price in prices:
        if price.currency != currency:
            continue
        factor = Decimal(days) if price.period == "day" else _PER_MONTH.get(price.period)
        if factor is not None:
            total += price.amount * factor
    return total, currency


def credit_minor(monthly: Decimal, currency: str, percent: int) -> int:
    """``percent`` of a monthly charge in minor units, half-even."""
    return Money.from_decimal(monthly * percent / 100, currency).minor


def reason(event: SlaBreached, product_name: str) -> str:
    month = event.period_start.strftime("%Y-%m")
    return (
        f"SLA credit: availability {event.availability_ppm / 10_000:.2f} % < "
        f"{event.target_ppm / 10_000:.2f} % in {month} for {product_name}"
    )


def credit_sla_breach(
    session: Session, event: SlaBreached, *, now: datetime
) -> PendingAdjustment | None:
    """The adjustment for the breach, or None when it was already credited or earns nothing
    (no recurring price, an unknown product, a zero credit)."""
    done = session.scalar(
        select(SlaCredit.pk).where(
            SlaCredit.product_id == event.product_id,
            SlaCredit.period_start == event.period_start,
        )
    )
    if done is not None:
        return None
    try:
        product = product_inventory.get_product(session, product_id=event.product_id)
    except NotFound:
        product = {}
    charge = monthly_charge(
        product_inventory.recurring_prices(product), month_start=event.period_start
    )
    amount = credit_minor(charge[0], charge[1], event.credit_percent) if charge else 0
    adjustment = None
    if amount > 0 and charge is not None:
        adjustment = add_adjustment(
            session,
            billing_account_id=event.billing_account_id,
            amount_minor=-amount,
            currency=charge[1],
            reason=reason(event, str(product.get("name") or event.product_id)),
            source="sla",
            now=now,
        )
    session.add(
        SlaCredit(
            product_id=event.product_id,
            period_start=event.period_start,
            adjustment_id=adjustment.id if adjustment else None,
            amount_minor=amount,
            currency=charge[1] if charge else None,
            created_at=now,
        )
    )
    session.flush()
    return adjustment
