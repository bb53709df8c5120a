"""MRR month by month from one read of the products: what ``figures.mrr`` gives at each
month's last instant (or now, for the month under way), without reading the products once per
month (the console's reports page draws a line of them)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ossbss import product_inventory
from ossbss.kernel.time import Period
from ossbss.reporting import domain


@dataclass(frozen=True, slots=True)
class MrrMonthRow:
    month: str
    currency: str
    products: int
    mrr_minor: int


def month_ends(months: Period, *, now: datetime) -> list[tuple[str, datetime]]:
    """Each month of ``months`` begun by ``now`` with the instant its MRR is read at."""
    ends = []
    for month in domain.months_in(months):
        start = domain.month_start(month)
        if start > now:
            break
        ends.append((month, min(domain.next_month(start) - timedelta(microseconds=1), now)))
    return ends


def mrr_by_month(session: Session, *, months: Period, now: datetime) -> list[MrrMonthRow]:
    """Per month and currency: the products counted and their MRR, by ``figures.mrr``'s rule
    (suspended products left out, recurring prices normalised to a month, per product)."""
    ends = month_ends(months, now=now)
    if not ends:
        return []
    span = Period(domain.month_start(ends[0][0]), ends[-1][1] + timedelta(microseconds=1))
    live = product_inventory.products_live_in(session, period=span)
    rows: list[MrrMonthRow] = []
    for month, at in ends:
        instant = domain.instant_period(at)
        sums: dict[str, int] = defaultdict(int)
        counted: dict[str, int] = defaultdict(int)
        for product in live:
            if product.status == "suspended" or not product.live_in(instant):
                continue
            monthly: dict[str, int] = defaultdict(int)
            for price in product.recurring:
                monthly[price.currency] += domain.monthly_minor(
                    price.amount, price.period, price.currency
                )
            for currency, amount in monthly.items():
                sums[currency] += amount
                counted[currency] += 1
        rows.extend(MrrMonthRow(month, c, counted[c], sums[c]) for c in sorted(sums))
    return rows
