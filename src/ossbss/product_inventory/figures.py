"""Read-only product figures for reporting: the products that were live for some time in a
period, with when and their recurring prices. Dates come from the TMF637 document
(``startDate``, ``terminationDate``): the document says what a product is now, so a product
suspended now counts as live over its whole life (the charge timeline knows better)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.kernel.time import Period, parse_datetime
from ossbss.product_inventory import domain
from ossbss.product_inventory.models import ChargePeriod, Product

# Statuses of a product that has been in service (the others never started).
IN_SERVICE = ("active", "suspended", "pendingTerminate", "terminated")


@dataclass(frozen=True, slots=True)
class RecurringPrice:
    """A recurring productPrice, tax excluded: ``amount`` per ``period`` (day, week, month,
    year), exact."""

    name: str | None
    currency: str
    amount: Decimal
    period: str


@dataclass(frozen=True, slots=True)
class LiveProduct:
    id: str
    name: str | None
    status: str
    offering_id: str | None
    billing_account_id: str | None
    started_at: datetime
    terminated_at: datetime | None
    recurring: tuple[RecurringPrice, ...]

    def live_in(self, period: Period) -> bool:
        return Period(self.started_at, self.terminated_at).overlaps(period)


def products_live_in(session: Session, *, period: Period) -> list[LiveProduct]:
    """Products in service for some time in ``period`` (started before it ends, not
    terminated before it starts), by id."""
    query = select(
        Product.id,
        Product.status,
        Product.name,
        Product.offering_id,
        Product.billing_account_id,
        Product.body,
        Product.created_at,
    )
    query = query.where(Product.status.in_(IN_SERVICE)).order_by(Product.id)
    found: list[LiveProduct] = []
    for row in session.execute(query):
        body: dict[str, Any] = row[5] or {}
        started = _instant(body.get("startDate")) or row[6]
        ended = _instant(body.get("terminationDate"))
        if ended is None and row[1] == "terminated":
            ended = started  # terminated without a date: never billable
        product = LiveProduct(
            id=row[0],
            name=row[2],
            status=row[1],
            offering_id=row[3] or domain.ref_id(body, "productOffering"),
            billing_account_id=row[4] or domain.ref_id(body, "billingAccount"),
            started_at=started,
            terminated_at=max(ended, started) if ended is not None else None,
            recurring=recurring_prices(body),
        )
        if product.live_in(period):
            found.append(product)
    return found


def recurring_prices(document: dict[str, Any]) -> tuple[RecurringPrice, ...]:
    """The document's recurring prices (dutyFreeAmount, else taxIncludedAmount)."""
    prices = []
    for price in document.get("productPrice") or []:
        if not isinstance(price, dict) or price.get("priceType") != "recurring":
            continue
        amounts = price.get("price") or {}
        money = amounts.get("dutyFreeAmount") or amounts.get("taxIncludedAmount") or {}
        try:
            amount = Decimal(str(money.get("value")))
        except (InvalidOperation, ValueError):
            continue
        if not money.get("unit") or not amount.is_finite():
            continue
        prices.append(
            RecurringPrice(
                name=price.get("name"),
                currency=str(money["unit"]),
                amount=amount,
                period=str(price.get("recurringChargePeriod") or "month"),
            )
        )
    return tuple(prices)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


# Statuses of a product that earns its recurring prices now (suspended ones do not).
EARNING = ("active", "pendingTerminate")


@dataclass(frozen=True, slots=True)
class PriceGroup:
    """Products sharing an offering, a name and the same recurring prices, counted."""

    offering_id: str | None
    name: str | None
    products: int
    recurring: tuple[RecurringPrice, ...]


def earning_price_groups(session: Session) -> list[PriceGroup]:
    """The products earning now (active, pending termination), grouped by offering, name and
    price list: one GROUP BY over the charge timeline's open rows (their price list is a
    column of its own, not a path into the whole document), so the cost stays one scan of a
    narrow table whatever the number of products, for a figure a dashboard shows."""
    query = (
        select(ChargePeriod.offering_id, ChargePeriod.name, ChargePeriod.prices, func.count())
        .where(ChargePeriod.valid_to.is_(None), ChargePeriod.status.in_(EARNING))
        .group_by(ChargePeriod.offering_id, ChargePeriod.name, ChargePeriod.prices)
    )
    return [
        PriceGroup(
            offering_id=offering_id,
            name=name,
            products=count,
            recurring=recurring_prices({"productPrice": listed or []}),
        )
        for offering_id, name, listed, count in session.execute(query)
    ]


def active_subscribers(session: Session) -> int:
    """Billing accounts with at least one active product (an index-only count: the status
    and account index)."""
    query = select(func.count(func.distinct(Product.billing_account_id))).where(
        Product.status == "active"
    )
    return int(session.scalar(query) or 0)
