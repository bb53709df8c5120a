"""compute_charges: what goes on each account's bill for a period, in a few bulk reads per
call (accounts, product timelines, summed usage, catalog terms cached per offering), then pure
rules per account. One account that cannot be charged is a ChargeFailure; the others go on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ossbss import account, catalog, product_inventory, usage
from ossbss.billing.charges import proration, recurring, taxes, usage_lines
from ossbss.billing.charges.lines import (
    ONE_TIME,
    RECURRING,
    USAGE,
    AccountCharges,
    ChargeFailure,
    ChargeLine,
)
from ossbss.billing.charges.recurring import Discount, Draft, Price, Segment
from ossbss.kernel.errors import NotFound
from ossbss.kernel.money import minor_unit_exponent
from ossbss.kernel.settings import Settings
from ossbss.kernel.time import Period

ACTIVE = "active"
# accounts_in_cycle("default"): the accounts that chose no cycle (billed monthly on the 1st).
DEFAULT_CYCLE = "default"
_PERIOD_TYPES = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}


class ChargeError(Exception):
    """This account cannot be charged; the message is the reason the run reports."""


def accounts_in_cycle(session: Session, *, cycle_id: str) -> list[str]:
    """The billing accounts billed on ``cycle_id`` ("default": those with no cycle)."""
    return account.billing_account_ids_on_cycle(
        session, cycle_id=None if cycle_id == DEFAULT_CYCLE else cycle_id
    )


@lru_cache(maxsize=8)
def _tax_table(path: Path | None) -> taxes.TaxTable:
    return taxes.load(path)


@lru_cache(maxsize=64)
def _exponent(currency: str) -> int:
    return minor_unit_exponent(currency)


def compute_charges(
    session: Session, *, account_ids: Sequence[str], period: Period, now: datetime
) -> list[AccountCharges | ChargeFailure]:
    """Every account's charges for bill ``period`` (the cycle period that just ended), in the
    order given. Usage: every rated, unbilled record that started before the period ended and
    was rated by ``now``."""
    if period.end is None:
        raise ValueError("a bill period is closed")
    settings = Settings()
    table = _tax_table(settings.billing_tax_rates)
    ids = list(dict.fromkeys(account_ids))
    terms = account.billing_terms(session, account_ids=ids)
    countries = account.billing_countries(session, account_ids=ids)
    window = Period(period.start, proration.a_moment_after(period.end))
    rows_by_account: dict[str, list[product_inventory.ChargePeriod]] = defaultdict(list)
    for row in product_inventory.charge_periods(session, account_ids=ids, period=window):
        rows_by_account[str(row.billing_account_id)].append(row)
    usage_by_account: dict[str, list[usage.BillableUsage]] = defaultdict(list)
    for summed in usage.billable_usage(session, account_ids=ids, before=period.end, rated_by=now):
        usage_by_account[summed.billing_account_id].append(summed)
    catalog_terms = _CatalogTerms(session)
    results: list[AccountCharges | ChargeFailure] = []
    for account_id in ids:
        if account_id not in terms:
            results.append(ChargeFailure(account_id, f"no billing account {account_id}"))
            continue
        currency = terms[account_id].currency
        try:
            lines = _account_lines(
                rows_by_account.get(account_id, []),
                usage_by_account.get(account_id, []),
                period=period,
                currency=currency,
                country=countries.get(account_id) or settings.billing_country,
                table=table,
                catalog_terms=catalog_terms,
            )
        except ChargeError as error:
            results.append(ChargeFailure(account_id, str(error)))
            continue
        results.append(
            AccountCharges(
                billing_account_id=account_id,
                currency=currency,
                lines=tuple(lines),
                usage_before=period.end,
                usage_rated_by=now,
            )
        )
    return results


class _CatalogTerms:
    """Catalog reads, once per offering and per price within one call."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._offerings: dict[str, catalog.OfferingTerms | None] = {}
        self._timings: dict[str, str] = {}
        self._discounts: dict[tuple[str, str], list[Discount]] = {}

    def offering(self, offering_id: str | None) -> catalog.OfferingTerms | None:
        if offering_id is None:
            return None
        if offering_id not in self._offerings:
            try:
                found = catalog.offering_terms(self._session, offering_id=offering_id)
            except NotFound:
                found = None
            self._offerings[offering_id] = found
        return self._offerings[offering_id]

    def discounts(
        self, offering: catalog.OfferingTerms | None, currency: str, exponent: int
    ) -> list[Discount]:
        if offering is None:
            return []
        key = (offering.offering_id, currency)
        if key not in self._discounts:
            self._discounts[key] = _discounts(offering, currency, exponent)
        return self._discounts[key]

    def timing(self, price_id: str | None) -> str:
        """A recurring price's billingTiming (our TMF620 extension), read from the catalog
        price the product's price came from."""
        if price_id is None:
            return recurring.IN_ADVANCE
        if price_id not in self._timings:
            try:
                timing = catalog.get_price(self._session, price_id=price_id).billing_timing
            except NotFound:
                timing = recurring.IN_ADVANCE  # a price since deleted: the default
            self._timings[price_id] = timing
        return self._timings[price_id]


def _account_lines(
    rows: Sequence[product_inventory.ChargePeriod],
    summed_usage: Sequence[usage.BillableUsage],
    *,
    period: Period,
    currency: str,
    country: str,
    table: taxes.TaxTable,
    catalog_terms: _CatalogTerms,
) -> list[ChargeLine]:
    exponent = _exponent(currency)
    by_product: dict[str, list[product_inventory.ChargePeriod]] = defaultdict(list)
    for row in rows:
        by_product[row.product_id].append(row)
    names: dict[str, str] = {}
    lines: list[ChargeLine] = []
    for product_id, product_rows in by_product.items():
        last = product_rows[-1]
        offering = catalog_terms.offering(last.offering_id)
        name = last.name or (offering.name if offering else "") or product_id
        names[product_id] = name
        segments = [_segment(row, currency, exponent, catalog_terms) for row in product_rows]
        activated_at = next((r.activated_at for r in product_rows if r.activated_at), None)
        drafts = recurring.recurring_drafts(segments, period)
        name_then = next(
            (r.name for r in product_rows if r.valid_from == activated_at and r.name), name
        )
        drafts += recurring.one_time_drafts(segments, period, activated_at, name_then)
        drafts += _discount_drafts(drafts, catalog_terms, currency, exponent)
        for draft in drafts:
            offering_id = draft.offering_id or last.offering_id
            then = catalog_terms.offering(offering_id)
            categories = then.categories if then else ()
            lines.append(_line(draft, product_id, name, offering_id, country, categories, table))
    lines.extend(
        _usage_lines(summed_usage, period, currency, exponent, country, names, table, catalog_terms)
    )
    return lines


def _discount_drafts(
    drafts: list[Draft], catalog_terms: _CatalogTerms, currency: str, exponent: int
) -> list[Draft]:
    """Each line's discounts are those of the offering the product was at the line's time."""
    found: list[Draft] = []
    for offering_id in dict.fromkeys(d.offering_id for d in drafts):
        discounts = catalog_terms.discounts(catalog_terms.offering(offering_id), currency, exponent)
        if discounts:
            own = [d for d in drafts if d.offering_id == offering_id]
            found += recurring.discount_drafts(own, discounts)
    return found


def _segment(
    row: product_inventory.ChargePeriod, currency: str, exponent: int, terms: _CatalogTerms
) -> Segment:
    prices = tuple(
        price
        for entry in row.prices
        if (price := _price(row, entry, currency, exponent, terms)) is not None
    )
    return Segment(row.valid_from, row.valid_to, row.status == ACTIVE, prices)


def _price(
    row: product_inventory.ChargePeriod,
    entry: dict[str, Any],
    currency: str,
    exponent: int,
    terms: _CatalogTerms,
) -> Price | None:
    price_type = entry.get("priceType")
    if price_type not in (RECURRING, ONE_TIME):
        return None
    name = str(entry.get("name") or price_type)
    raw = entry.get("price") or {}
    money = raw.get("dutyFreeAmount") or raw.get("taxIncludedAmount") or raw
    if not isinstance(money, dict) or money.get("value") is None:
        raise ChargeError(f"product {row.product_id}: price {name!r} has no amount")
    if money.get("unit") != currency:
        raise ChargeError(
            f"product {row.product_id}: price {name!r} is in {money.get('unit')}, "
            f"the account in {currency}"
        )
    price_id = (entry.get("productOfferingPrice") or {}).get("id")
    period_type = str(entry.get("recurringChargePeriod") or "month")
    return Price(
        key=f"{price_id or name}:{money['value']}",
        name=name if price_type == ONE_TIME else str(row.name or name),
        price_type=str(price_type),
        amount_minor=proration.to_minor(money["value"], exponent),
        period_type=_PERIOD_TYPES.get(period_type, period_type),
        timing=terms.timing(price_id) if price_type == RECURRING else recurring.IN_ADVANCE,
        offering_id=row.offering_id,
    )


def _discounts(
    offering: catalog.OfferingTerms | None, currency: str, exponent: int
) -> list[Discount]:
    found = []
    for price in offering.prices if offering else ():
        if price.price_type != "discount":
            continue
        amount = None
        if price.amount is not None:
            money = price.amount.duty_free or price.amount.tax_included
            assert money is not None
            if money.currency != currency:
                raise ChargeError(
                    f"discount {price.name!r} is in {money.currency}, the account in {currency}"
                )
            amount = Fraction(money.units, 10**money.scale) * 10**exponent
        found.append(
            Discount(
                name=price.name,
                percentage=Fraction(price.percentage) if price.percentage is not None else None,
                amount_minor=amount,
                valid_from=price.valid_from,
                valid_to=price.valid_to,
            )
        )
    return found


def _line(
    draft: Draft,
    product_id: str | None,
    name: str,
    offering_id: str | None,
    country: str,
    categories: Sequence[str],
    table: taxes.TaxTable,
) -> ChargeLine:
    category, rate = _rate(table, country, categories)
    return ChargeLine(
        product_id=product_id,
        product_name=name,
        offering_id=offering_id,
        type=draft.type,
        description=draft.description,
        period_start=draft.start,
        period_end=draft.end,
        quantity=None,
        amount_minor=draft.amount_minor,
        tax_category=category,
        tax_rate=rate,
        tax_minor=taxes.tax_minor(draft.amount_minor, rate),
    )


def _rate(table: taxes.TaxTable, country: str, categories: Sequence[str]) -> tuple[str, Decimal]:
    try:
        return table.rate(country, categories)
    except taxes.MissingTaxRate as missing:
        raise ChargeError(str(missing)) from None


def _usage_lines(
    summed: Iterable[usage.BillableUsage],
    period: Period,
    currency: str,
    exponent: int,
    country: str,
    names: dict[str, str],
    table: taxes.TaxTable,
    catalog_terms: _CatalogTerms,
) -> list[ChargeLine]:
    """One line per product and kind (several currencies or scales of a group summed first)."""
    groups: dict[tuple[str | None, str], list[usage.BillableUsage]] = defaultdict(list)
    for item in summed:
        if item.currency is not None and item.currency != currency:
            raise ChargeError(
                f"usage of product {item.product_id} is rated in {item.currency}, "
                f"the account is in {currency}"
            )
        groups[(item.product_id, item.kind)].append(item)
    lines = []
    for (product_id, kind), items in sorted(groups.items(), key=lambda g: (str(g[0][0]), g[0][1])):
        offering_id = next((i.offering_id for i in items if i.offering_id), None)
        offering = catalog_terms.offering(offering_id)
        name = names.get(str(product_id)) or (offering.name if offering else "") or str(product_id)
        amount = _usage_minor(items, exponent)
        records = sum(i.records for i in items)
        quantity = usage_lines.quantity(
            kind,
            duration_seconds=sum(i.duration_seconds for i in items),
            bytes_total=sum(i.bytes_total for i in items),
            events=sum(i.events for i in items),
        )
        category, rate = _rate(table, country, offering.categories if offering else ())
        assert period.end is not None
        lines.append(
            ChargeLine(
                product_id=product_id,
                product_name=name,
                offering_id=offering_id,
                type=USAGE,
                description=usage_lines.describe(kind, name, records, quantity),
                period_start=period.start,
                period_end=period.end,
                quantity=quantity,
                amount_minor=amount,
                tax_category=category,
                tax_rate=rate,
                tax_minor=taxes.tax_minor(amount, rate),
            )
        )
    return lines


def _usage_minor(items: Sequence[usage.BillableUsage], exponent: int) -> int:
    """The summed fine amounts in minor units, rounded half-even once."""
    scale = max(item.scale for item in items)
    fine: int = sum(item.amount * 10 ** (scale - item.scale) for item in items)
    if scale >= exponent:
        return proration.divide_half_even(fine, 10 ** (scale - exponent))
    return int(fine * 10 ** (exponent - scale))
