"""Revenue assurance for a period: usage received vs rated vs billed, and products in
service vs recurring charges billed. Every gap is listed with its ids and a reason.

- leakage: a product in service in the period, with a non-zero recurring price, whose
  account had a bill for the period with no recurring line for it; usage rated before the
  account's bill for the period was computed, yet on no bill.
- anomaly: a recurring line on a bill for a product that was not in service over the line's
  period (or is unknown).
Rated usage of accounts no bill has covered yet is counted (waiting), not a gap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import billing, product_inventory, usage
from ossbss.kernel.time import Period
from ossbss.reporting import domain

LEAKAGE = "leakage"
ANOMALY = "anomaly"
CREDIT_NOTE = "creditNote"
# The order statuses are shown in: a record's way through mediation, rating and billing.
USAGE_STATUSES = ("received", "suspense", "guided", "rated", "rerated", "billed", "rejected")


@dataclass(frozen=True, slots=True)
class UsageCount:
    status: str
    currency: str  # "" for records not rated
    records: int
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Gap:
    kind: str  # leakage | anomaly
    reason: str
    billing_account_id: str
    product_id: str
    offering_id: str
    bill_id: str
    line_id: str
    records: int
    currency: str
    amount_minor: int  # leaked usage, the product's monthly recurring price, or the line
    record_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Assurance:
    period: Period
    usage: tuple[UsageCount, ...]
    quarantined: int
    received: int  # every record of the period (suspense included)
    rated: int  # rated, re-rated or billed
    billed: int
    waiting: int  # rated, not billed, no bill has covered it yet
    gaps: tuple[Gap, ...]
    totals: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, currency) -> sum

    @property
    def clean(self) -> bool:
        return not self.gaps


def revenue_assurance(session: Session, *, period: Period) -> Assurance:
    """The period's assurance report (read-only)."""
    counts = _usage_counts(session, period)
    bills = [
        bill for bill in billing.issued_bills(session, covering=period) if bill.kind != CREDIT_NOTE
    ]
    lines = billing.bill_lines(session, bill_ids=[bill.id for bill in bills])
    usage_gaps, waiting = _usage_leaks(usage.unbilled_rated(session, period=period), bills)
    live = product_inventory.products_live_in(session, period=period)
    gaps = [
        *_recurring_leaks(live, period, bills, lines),
        *usage_gaps,
        *_anomalies(session, live, period, bills, lines),
    ]
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for gap in gaps:
        totals[(gap.kind, gap.currency)] += gap.amount_minor
    by_status: dict[str, int] = defaultdict(int)
    for count in counts:
        by_status[count.status] += count.records
    return Assurance(
        period=period,
        usage=tuple(counts),
        quarantined=usage.quarantined(session, period=period),
        received=sum(by_status.values()),
        rated=by_status["rated"] + by_status["rerated"] + by_status["billed"],
        billed=by_status["billed"],
        waiting=waiting,
        gaps=tuple(gaps),
        totals=dict(sorted(totals.items())),
    )


def _usage_counts(session: Session, period: Period) -> list[UsageCount]:
    records: dict[tuple[str, str], int] = defaultdict(int)
    amounts: dict[tuple[str, str], int] = defaultdict(int)
    for figure in usage.usage_figures(session, period=period):
        key = (figure.status, figure.currency or "")
        records[key] += figure.records
        amounts[key] += domain.to_minor(figure.amount, figure.scale, figure.currency)
    order = {status: index for index, status in enumerate(USAGE_STATUSES)}
    keys = sorted(records, key=lambda key: (order.get(key[0], len(order)), key))
    return [UsageCount(key[0], key[1], records[key], amounts[key]) for key in keys]


def _by_account(bills: list[billing.IssuedBill]) -> dict[str, list[billing.IssuedBill]]:
    found: dict[str, list[billing.IssuedBill]] = defaultdict(list)
    for bill in bills:
        found[bill.billing_account_id].append(bill)
    return found


def _covering(bills: list[billing.IssuedBill], at: datetime) -> list[billing.IssuedBill]:
    return [
        bill
        for bill in bills
        if bill.period_start is not None
        and bill.period_end is not None
        and bill.period_start <= at < bill.period_end
    ]


def _usage_leaks(
    records: list[usage.UnbilledRecord], bills: list[billing.IssuedBill]
) -> tuple[list[Gap], int]:
    """Rated records a bill should have taken: the bill covering them was computed after
    they were rated. Grouped per account, product, bill and currency."""
    leaked: dict[tuple[str, str, str, str, str], list[usage.UnbilledRecord]] = defaultdict(list)
    waiting = 0
    accounts = _by_account(bills)
    for record in records:
        account_bills = accounts.get(record.billing_account_id or "", [])
        covering = [
            bill
            for bill in _covering(account_bills, record.started_at)
            if record.rated_at is not None and record.rated_at <= bill.computed_at
        ]
        if not covering:
            waiting += 1
            continue
        key = (
            record.billing_account_id or "",
            record.product_id or "",
            record.offering_id or "",
            covering[0].id,
            record.currency or "",
        )
        leaked[key].append(record)
    gaps = [
        Gap(
            kind=LEAKAGE,
            reason="usage rated before the bill was computed is on no bill",
            billing_account_id=key[0],
            product_id=key[1],
            offering_id=key[2],
            bill_id=key[3],
            line_id="",
            records=len(found),
            currency=key[4],
            amount_minor=domain.to_minor(
                sum(record.amount for record in found), found[0].scale, found[0].currency
            ),
            record_ids=tuple(record.id for record in found),
        )
        for key, found in sorted(leaked.items())
    ]
    return gaps, waiting


def _recurring_leaks(
    live: list[product_inventory.LiveProduct],
    period: Period,
    bills: list[billing.IssuedBill],
    lines: list[billing.BilledLine],
) -> list[Gap]:
    """Products in service with a recurring price, billed nowhere on their account's bill."""
    by_account = _by_account(bills)
    charged = {(line.bill_id, line.product_id) for line in lines if line.type == "recurring"}
    gaps = []
    for product in live:
        account_bills = [
            bill
            for bill in by_account.get(product.billing_account_id or "", [])
            if product.live_in(Period(bill.period_start or period.start, bill.period_end))
        ]
        monthly: dict[str, int] = defaultdict(int)
        for price in product.recurring:
            monthly[price.currency] += domain.monthly_minor(
                price.amount, price.period, price.currency
            )
        if not account_bills or not any(monthly.values()):
            continue
        if any((bill.id, product.id) in charged for bill in account_bills):
            continue
        bill = account_bills[0]
        gaps.append(
            Gap(
                kind=LEAKAGE,
                reason=f"product {product.status} in the period, no recurring charge on the bill",
                billing_account_id=bill.billing_account_id,
                product_id=product.id,
                offering_id=product.offering_id or "",
                bill_id=bill.id,
                line_id="",
                records=0,
                currency=bill.currency,
                amount_minor=monthly.get(bill.currency, 0),
            )
        )
    return gaps


def _anomalies(
    session: Session,
    live_in_period: list[product_inventory.LiveProduct],
    period: Period,
    bills: list[billing.IssuedBill],
    lines: list[billing.BilledLine],
) -> list[Gap]:
    """Recurring lines for products not in service over the line's period."""
    recurring = [line for line in lines if line.type == "recurring" and line.product_id]
    if not recurring:
        return []
    bill_of = {bill.id: bill for bill in bills}

    def line_period(line: billing.BilledLine) -> Period:
        bill = bill_of[line.bill_id]
        start = line.period_start or bill.period_start or period.start
        end = line.period_end or bill.period_end or period.end
        return Period(start, max(end, start) if end else None)

    spans = [line_period(line) for line in recurring]
    window = Period(
        min(span.start for span in spans),
        None if any(span.end is None for span in spans) else max(s.end for s in spans if s.end),
    )
    within = window.start >= period.start and (
        period.end is None or (window.end is not None and window.end <= period.end)
    )
    # Lines inside the period need no second read: a product live over a line is live in it.
    products = (
        live_in_period if within else product_inventory.products_live_in(session, period=window)
    )
    live = {p.id: p for p in products}
    gaps = []
    for line, span in zip(recurring, spans, strict=True):
        product = live.get(line.product_id or "")
        if product is not None and product.live_in(span):
            continue
        bill = bill_of[line.bill_id]
        gaps.append(
            Gap(
                kind=ANOMALY,
                reason="recurring charge for a product not in service over the line's period",
                billing_account_id=bill.billing_account_id,
                product_id=line.product_id or "",
                offering_id=line.offering_id or "",
                bill_id=bill.id,
                line_id=line.line_id,
                records=0,
                currency=bill.currency,
                amount_minor=line.amount_minor,
            )
        )
    return gaps
