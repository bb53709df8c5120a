"""Revenue figures, read through the rooms' doors: billed revenue by product and month, MRR,
ARPU, aging and collection rate. Amounts are integer minor units, per currency, tax excluded
unless the name says otherwise."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import billing, product_inventory
from ossbss.kernel.time import Period
from ossbss.reporting import domain

CREDIT_NOTE = "creditNote"
LINE_COLUMNS = {"recurring": "recurring", "oneTime": "one_time", "usage": "usage"}


def signed(bill: billing.IssuedBill, amount: int) -> int:
    """A credit note takes revenue back whatever sign it was written with."""
    return -abs(amount) if bill.kind == CREDIT_NOTE else amount


@dataclass(frozen=True, slots=True)
class RevenueRow:
    month: str
    currency: str
    offering_id: str
    name: str
    bills: int
    recurring_minor: int
    one_time_minor: int
    usage_minor: int
    other_minor: int  # discounts, adjustments, credits
    total_minor: int


def revenue_by_product(session: Session, *, months: Period) -> list[RevenueRow]:
    """Billed revenue (tax excluded) of bills and credit notes issued in ``months``, by bill
    month, currency and offering; lines without an offering (account-level adjustments) come
    under an empty offering id."""
    sums: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[tuple[str, str, str], str] = {}
    counted: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for line in billing.revenue_lines(session, issued_in=months):
        key = (domain.month_of(line.bill_date), line.currency, line.offering_id or "")
        column = LINE_COLUMNS.get(line.type, "other")
        amount = -abs(line.amount_minor) if line.kind == CREDIT_NOTE else line.amount_minor
        sums[key][column] += amount
        names.setdefault(key, line.product_name or "")
        counted[key].add(line.bill_id)
    return [
        RevenueRow(
            month=key[0],
            currency=key[1],
            offering_id=key[2],
            name=names[key],
            bills=len(counted[key]),
            recurring_minor=sums[key]["recurring"],
            one_time_minor=sums[key]["one_time"],
            usage_minor=sums[key]["usage"],
            other_minor=sums[key]["other"],
            total_minor=sum(sums[key].values()),
        )
        for key in sorted(sums)
    ]


@dataclass(frozen=True, slots=True)
class MrrRow:
    offering_id: str
    name: str
    currency: str
    products: int
    mrr_minor: int


def mrr(session: Session, *, at: datetime) -> list[MrrRow]:
    """Monthly recurring revenue of the products live at ``at`` (suspended ones excluded), by
    offering and currency: each product's recurring prices normalised to a month (weekly x
    52/12, daily x 365/12, yearly / 12), rounded half-even per product so rows add up."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    products: dict[tuple[str, str], set[str]] = defaultdict(set)
    names: dict[tuple[str, str], str] = {}
    live = product_inventory.products_live_in(session, period=domain.instant_period(at))
    for product in live:
        if product.status == "suspended":
            continue
        monthly: dict[str, int] = defaultdict(int)
        for price in product.recurring:
            monthly[price.currency] += domain.monthly_minor(
                price.amount, price.period, price.currency
            )
        for currency, amount in monthly.items():
            key = (product.offering_id or "", currency)
            sums[key] += amount
            products[key].add(product.id)
            # The same name whatever order the rows come in (products of one offering may
            # carry different names, e.g. a bundle's parts).
            names[key] = min(names.get(key, product.name or ""), product.name or "")
    return [
        MrrRow(key[0], names[key], key[1], len(products[key]), sums[key]) for key in sorted(sums)
    ]


@dataclass(frozen=True, slots=True)
class ArpuRow:
    month: str
    currency: str
    revenue_minor: int
    accounts: int
    arpu_minor: int


def arpu(session: Session, *, months: Period) -> list[ArpuRow]:
    """Average revenue per billed account per month: billed revenue (tax excluded, credit
    notes deducted) / billing accounts with a bill (not a credit note) that month."""
    revenue: dict[tuple[str, str], int] = defaultdict(int)
    accounts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for bill in billing.issued_bills(session, issued_in=months):
        key = (domain.month_of(bill.bill_date), bill.currency)
        revenue[key] += signed(bill, bill.amount_excl_tax_minor)
        if bill.kind != CREDIT_NOTE:
            accounts[key].add(bill.billing_account_id)
    rows = []
    for key in sorted(revenue):
        heads = len(accounts[key])
        per_head = domain.per_head(revenue[key], heads) if heads else 0
        rows.append(ArpuRow(key[0], key[1], revenue[key], heads, per_head))
    return rows


@dataclass(frozen=True, slots=True)
class AgingRow:
    currency: str
    bills: int
    accounts: int
    current_minor: int
    days_0_to_30_minor: int
    days_31_to_60_minor: int
    days_61_to_90_minor: int
    days_over_90_minor: int
    total_minor: int


_BUCKET_FIELDS = dict(
    zip(
        domain.AGING_BUCKETS,
        ("current", "days_0_to_30", "days_31_to_60", "days_61_to_90", "days_over_90"),
        strict=True,
    )
)


def aging(
    session: Session, *, as_of: datetime, billing_account_id: str | None = None
) -> list[AgingRow]:
    """What is still due on issued bills dated up to ``as_of``, by time past the due date:
    current (not due yet), 0-30, 31-60, 61-90, 90+ whole days. Amounts tax included (what the
    customer owes). Remaining amounts are today's."""
    ids = [billing_account_id] if billing_account_id else None
    buckets: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    bills: dict[str, int] = defaultdict(int)
    accounts: dict[str, set[str]] = defaultdict(set)
    for account_id, open_bills in billing.open_bills_for(session, account_ids=ids).items():
        for bill in open_bills:
            if bill.kind == CREDIT_NOTE or bill.bill_date > as_of:
                continue
            bucket = _BUCKET_FIELDS[domain.aging_bucket(bill.payment_due_date, as_of)]
            buckets[bill.currency][bucket] += bill.remaining_minor
            bills[bill.currency] += 1
            accounts[bill.currency].add(account_id)
    rows = []
    for currency in sorted(buckets):
        sums = buckets[currency]
        rows.append(
            AgingRow(
                currency=currency,
                bills=bills[currency],
                accounts=len(accounts[currency]),
                current_minor=sums["current"],
                days_0_to_30_minor=sums["days_0_to_30"],
                days_31_to_60_minor=sums["days_31_to_60"],
                days_61_to_90_minor=sums["days_61_to_90"],
                days_over_90_minor=sums["days_over_90"],
                total_minor=sum(sums.values()),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class CollectionRow:
    month: str
    currency: str
    bills: int
    billed_minor: int  # tax included
    credited_minor: int  # credit notes on those bills, whenever issued
    collected_minor: int
    outstanding_minor: int
    rate_percent: str  # collected / (billed - credited); "" when nothing is left billed


def collection_rate(session: Session, *, months: Period) -> list[CollectionRow]:
    """Of what was billed (tax included) on bills issued in each month, net of the credit
    notes correcting them, how much has been paid: from the bills' remaining amounts
    (collected = billed - credited - remaining), as of now."""
    bills = billing.issued_bills(session, issued_in=Period(months.start, None))
    credited_by_bill: dict[str, int] = defaultdict(int)
    for note in bills:
        if note.kind == CREDIT_NOTE and note.corrects_bill_id:
            credited_by_bill[note.corrects_bill_id] += abs(note.amount_incl_tax_minor)
    billed: dict[tuple[str, str], int] = defaultdict(int)
    credited: dict[tuple[str, str], int] = defaultdict(int)
    remaining: dict[tuple[str, str], int] = defaultdict(int)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for bill in bills:
        if bill.kind == CREDIT_NOTE or not months.contains(bill.bill_date):
            continue
        key = (domain.month_of(bill.bill_date), bill.currency)
        billed[key] += bill.amount_incl_tax_minor
        credited[key] += min(credited_by_bill[bill.id], bill.amount_incl_tax_minor)
        remaining[key] += bill.remaining_minor
        counts[key] += 1
    rows = []
    for key in sorted(billed):
        net = billed[key] - credited[key]
        collected = net - remaining[key]
        rate = domain.percent(collected, net)
        rows.append(
            CollectionRow(
                month=key[0],
                currency=key[1],
                bills=counts[key],
                billed_minor=billed[key],
                credited_minor=credited[key],
                collected_minor=collected,
                outstanding_minor=remaining[key],
                rate_percent="" if rate is None else str(rate),
            )
        )
    return rows


def current_mrr(session: Session) -> list[MrrRow]:
    """MRR now, by offering and currency, as ``mrr`` counts it (same normalisation, rounded
    per product) but from the product statuses only (active or pending termination; no
    start or termination dates read) and one GROUP BY over the products' price lists: cheap
    enough for a dashboard at any number of products."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    products: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[tuple[str, str], str] = {}
    for group in product_inventory.earning_price_groups(session):
        monthly: dict[str, int] = defaultdict(int)
        for price in group.recurring:
            monthly[price.currency] += domain.monthly_minor(
                price.amount, price.period, price.currency
            )
        for currency, amount in monthly.items():
            key = (group.offering_id or "", currency)
            sums[key] += amount * group.products
            products[key] += group.products
            names[key] = min(names.get(key, group.name or ""), group.name or "")
    return [MrrRow(key[0], names[key], key[1], products[key], sums[key]) for key in sorted(sums)]
