"""Product offering price rules, pure: amounts, charge periods, usage tiers, frozen terms.

Amounts arrive as JSON numbers; they are read through ``Decimal(str(value))`` and must fit the
currency's minor unit exactly (29.99 EUR yes, 29.999 EUR no): money is never a float here.
Usage rates are the exception the architecture names ("a finer fixed scale for rated usage"):
a price per MB or per minute may carry RATE_DIGITS more decimals (0.0035 EUR/MB).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import Money, UnknownCurrency, check_currency, minor_unit_exponent
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import Document

PRICE_TYPES = ("recurring", "oneTime", "usage")
RATE_DIGITS = 4
# Accepted spellings of recurringChargePeriodType -> the one we store.
PERIOD_TYPES = {
    "day": "day",
    "daily": "day",
    "week": "week",
    "weekly": "week",
    "month": "month",
    "monthly": "month",
    "year": "year",
    "yearly": "year",
    "annual": "year",
}
# Our documented extension for usage tariffs (docs/rooms/catalog.md).
USAGE_TYPE = "UsageProductOfferingPrice"
USAGE_EXTENSIONS = ("tier", "includedQuantity")
# What a subscriber bought: once a price has been on sale these never change (a new price is
# created instead), so existing subscriptions keep the terms they signed up for.
PRICING_TERMS = (
    "price",
    "priceType",
    "recurringChargePeriodType",
    "recurringChargePeriodLength",
    "unitOfMeasure",
    "percentage",
    "tax",
    "tier",
    "includedQuantity",
    "popRelationship",
    "bundledPopRelationship",
    "pricingLogicAlgorithm",
)


@dataclass(frozen=True, slots=True)
class Amount:
    """An exact amount: ``units`` of 10^-scale ``currency`` (scale = the currency's minor-unit
    digits, plus RATE_DIGITS for usage rates). Integers, never float."""

    currency: str
    units: int
    scale: int

    def to_decimal(self) -> Decimal:
        return Decimal(self.units).scaleb(-self.scale)

    def to_money(self) -> Money:
        """In minor units; a finer usage rate is rounded by the kernel's one rounding rule."""
        return Money.from_decimal(self.to_decimal(), self.currency)


@dataclass(frozen=True, slots=True)
class PriceAmount:
    """A price as TMF620 ``Money`` (``duty_free``) or as a TMF ``Price`` (either or both)."""

    duty_free: Amount | None
    tax_included: Amount | None
    tax_rate: Decimal | None

    @property
    def currency(self) -> str:
        amount = self.duty_free or self.tax_included
        assert amount is not None  # parse_price guarantees one of them
        return amount.currency


@dataclass(frozen=True, slots=True)
class Tier:
    """A usage band ``[from_quantity, to_quantity)``; ``to_quantity=None`` is open-ended."""

    from_quantity: Decimal
    to_quantity: Decimal | None
    price: PriceAmount

    def contains(self, quantity: Decimal) -> bool:
        above = quantity >= self.from_quantity
        return above and (self.to_quantity is None or quantity < self.to_quantity)


@dataclass(frozen=True, slots=True)
class OfferingPrice:
    """A productOfferingPrice as other rooms (ordering, charging, billing) read it."""

    id: str
    name: str
    lifecycle_status: str | None
    price_type: str | None
    amount: PriceAmount | None
    period_type: str | None  # recurring only: day, week, month, year
    period_length: int | None
    unit_of_measure: str | None  # usage only, e.g. "MB"
    unit_amount: Decimal | None  # the price is per this many units (default 1)
    tiers: tuple[Tier, ...]
    included_quantity: Decimal | None
    valid_from: datetime | None
    valid_to: datetime | None


def parse_decimal(raw: Any, field: str, *, minimum: Decimal | None = Decimal(0)) -> Decimal:
    if raw is None:
        raise InvalidInput("Missing mandatory attribute", field=field, detail="is required")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidInput("Invalid type", field=field, detail="must be number")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInput("Invalid value", field=field, detail="must be a number") from None
    if not value.is_finite():
        raise InvalidInput("Invalid value", field=field, detail="must be a finite number")
    if minimum is not None and value < minimum:
        raise InvalidInput("Invalid value", field=field, detail=f"must be at least {minimum}")
    return value


def parse_money(raw: Any, field: str, *, extra_digits: int = 0) -> Amount:
    """``{"unit": "EUR", "value": 29.99}`` -> Amount; the currency must be ISO 4217 and the
    amount non-negative and exact in the currency's minor unit (plus ``extra_digits``)."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("Invalid type", field=field, detail="must be object {unit, value}")
    unit = _currency(raw.get("unit"), f"{field}.unit")
    amount = parse_decimal(raw.get("value"), f"{field}.value")
    scale = minor_unit_exponent(unit) + extra_digits
    try:
        exact = amount.quantize(Decimal(1).scaleb(-scale)) == amount
    except InvalidOperation:
        raise InvalidInput(
            "Invalid amount", field=f"{field}.value", detail="is too large"
        ) from None
    if not exact:
        raise InvalidInput(
            "Invalid amount",
            field=f"{field}.value",
            detail=f"{amount} has more decimals than {unit} allows here ({scale})",
        )
    return Amount(currency=unit, units=int(amount.scaleb(scale)), scale=scale)


def _currency(raw: Any, field: str) -> str:
    if raw is None:
        raise InvalidInput("Missing mandatory attribute", field=field, detail="is required")
    try:
        if not isinstance(raw, str) or raw != raw.upper():
            raise UnknownCurrency(raw)
        return check_currency(raw)
    except UnknownCurrency:
        raise InvalidInput(
            "Unknown currency", field=field, detail=f"{raw!r} is not an ISO 4217 currency code"
        ) from None


def parse_price(raw: Any, field: str, *, extra_digits: int = 0) -> PriceAmount:
    """TMF620's ``Money`` form, or the ``Price`` form with taxIncluded/dutyFree amounts."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("Invalid type", field=field, detail="must be object")
    if "taxIncludedAmount" not in raw and "dutyFreeAmount" not in raw:
        money = parse_money(raw, field, extra_digits=extra_digits)
        return PriceAmount(duty_free=money, tax_included=None, tax_rate=None)
    included = _optional_money(raw, "taxIncludedAmount", field, extra_digits)
    duty_free = _optional_money(raw, "dutyFreeAmount", field, extra_digits)
    if included and duty_free and included.currency != duty_free.currency:
        raise InvalidInput(
            "Mixed currencies",
            field=f"{field}.dutyFreeAmount.unit",
            detail=f"must be {included.currency} like taxIncludedAmount",
        )
    rate = raw.get("taxRate")
    tax_rate = None if rate is None else parse_decimal(rate, f"{field}.taxRate")
    return PriceAmount(duty_free=duty_free, tax_included=included, tax_rate=tax_rate)


def _optional_money(
    raw: Mapping[str, Any], name: str, field: str, extra_digits: int
) -> Amount | None:
    if raw.get(name) is None:
        return None
    return parse_money(raw[name], f"{field}.{name}", extra_digits=extra_digits)


def parse_quantity(raw: Any, field: str) -> tuple[Decimal, str]:
    """A TMF ``Quantity`` ``{"amount": 1, "units": "MB"}`` -> (amount, units); amount default 1."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            "Invalid type", field=field, detail='must be object, e.g. {"units": "MB"}'
        )
    units = raw.get("units")
    if not isinstance(units, str) or not units.strip():
        raise InvalidInput(
            "Missing mandatory attribute", field=f"{field}.units", detail="is required"
        )
    amount = raw.get("amount", 1)
    return parse_decimal(amount, f"{field}.amount"), units


def parse_tiers(raw: Any, field: str = "tier") -> tuple[Tier, ...]:
    """Tiers start at 0, follow each other without gap or overlap (half-open bands), and only
    the last may be open-ended."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("Invalid tiers", field=field, detail="must be a non-empty array")
    tiers: list[Tier] = []
    for index, item in enumerate(raw):
        tier = _tier(item, f"{field}[{index}]")
        _check_follows(tiers[-1] if tiers else None, tier, field, index)
        tiers.append(tier)
    return tuple(tiers)


def _tier(item: Any, label: str) -> Tier:
    if not isinstance(item, Mapping):
        raise InvalidInput("Invalid type", field=label, detail="must be object")
    start = parse_decimal(item.get("fromQuantity"), f"{label}.fromQuantity")
    end_raw = item.get("toQuantity")
    end = None if end_raw is None else parse_decimal(end_raw, f"{label}.toQuantity")
    if end is not None and end <= start:
        raise InvalidInput(
            "Empty tier", field=f"{label}.toQuantity", detail="must exceed fromQuantity"
        )
    # A tier price is a usage rate (per unitOfMeasure), so it may be finer than a minor unit.
    price = parse_price(item.get("price"), f"{label}.price", extra_digits=RATE_DIGITS)
    return Tier(from_quantity=start, to_quantity=end, price=price)


def _check_follows(previous: Tier | None, tier: Tier, field: str, index: int) -> None:
    label = f"{field}[{index}].fromQuantity"
    if previous is None:
        if tier.from_quantity != 0:
            raise InvalidInput("Invalid tiers", field=label, detail="the first tier starts at 0")
        return
    if previous.to_quantity is None:
        raise InvalidInput(
            "Invalid tiers",
            field=f"{field}[{index - 1}].toQuantity",
            detail="only the last tier may be open-ended",
        )
    if tier.from_quantity != previous.to_quantity:
        gap = "overlaps" if tier.from_quantity < previous.to_quantity else "leaves a gap after"
        raise InvalidInput(
            "Invalid tiers",
            field=label,
            detail=f"{gap} {field}[{index - 1}]: must be {previous.to_quantity}",
        )


def check_price(document: Document) -> Document:
    """Validate a productOfferingPrice and return it normalised (period type spelling,
    period length default, ``@type`` for the usage extension)."""
    price_type = document.get("priceType")
    if price_type is None:
        return _check_untyped(document)
    if price_type not in PRICE_TYPES:
        raise InvalidInput(
            "Invalid value", field="priceType", detail=f"must be one of: {', '.join(PRICE_TYPES)}"
        )
    amount = _amount(document, required=price_type != "usage")
    document = _check_period_terms(document, price_type)
    if price_type == "usage":
        document = _check_usage(document, amount)
    else:
        _refuse_usage_extensions(document, price_type)
    _check_tax(document, amount)
    return document


def _check_untyped(document: Document) -> Document:
    """A price without priceType is a draft: allowed (TMF620 requires only a name), but its
    type-specific attributes would be meaningless and it may not be launched."""
    for name in ("recurringChargePeriodType", *USAGE_EXTENSIONS):
        if document.get(name) is not None:
            raise InvalidInput(
                "Missing mandatory attribute", field="priceType", detail=f"is required with {name}"
            )
    amount = _amount(document, required=False)
    _check_tax(document, amount)
    return document


def _amount(document: Document, *, required: bool) -> PriceAmount | None:
    if document.get("price") is None:
        if required:
            raise InvalidInput("Missing mandatory attribute", field="price", detail="is required")
        return None
    return parse_price(document["price"], "price", extra_digits=_digits(document))


def _digits(document: Document) -> int:
    """A usage price is a rate per unit: it may be finer than the currency's minor unit."""
    return RATE_DIGITS if document.get("priceType") == "usage" else 0


def _check_period_terms(document: Document, price_type: str) -> Document:
    period = document.get("recurringChargePeriodType")
    length = document.get("recurringChargePeriodLength")
    if price_type != "recurring":
        if period is not None or (length is not None and length != 0):
            raise InvalidInput(
                "Not a recurring price",
                field="recurringChargePeriodType"
                if period is not None
                else "recurringChargePeriodLength",
                detail="only a recurring price has a charge period",
            )
        return document
    canonical = PERIOD_TYPES.get(str(period).strip().lower()) if period is not None else None
    if canonical is None:
        raise InvalidInput(
            "Invalid charge period",
            field="recurringChargePeriodType",
            detail=f"a recurring price needs one of: {', '.join(PERIOD_TYPES)}",
        )
    length = 1 if length is None else length
    if length < 1:
        raise InvalidInput(
            "Invalid charge period",
            field="recurringChargePeriodLength",
            detail="must be at least 1",
        )
    return {
        **document,
        "recurringChargePeriodType": canonical,
        "recurringChargePeriodLength": length,
    }


def _check_usage(document: Document, amount: PriceAmount | None) -> Document:
    if document.get("unitOfMeasure") is None:
        raise InvalidInput(
            "Missing mandatory attribute", field="unitOfMeasure", detail="a usage price needs one"
        )
    _unit_amount, units = parse_quantity(document["unitOfMeasure"], "unitOfMeasure")
    tiers = parse_tiers(document["tier"]) if document.get("tier") is not None else ()
    if amount is None and not tiers:
        raise InvalidInput(
            "Missing mandatory attribute", field="price", detail="a usage price needs price or tier"
        )
    currency = amount.currency if amount else tiers[0].price.currency
    for index, tier in enumerate(tiers):
        if tier.price.currency != currency:
            _mixed(_unit_label(document["tier"][index]["price"], f"tier[{index}].price"), currency)
    if document.get("includedQuantity") is not None:
        _included, included_units = parse_quantity(document["includedQuantity"], "includedQuantity")
        if included_units != units:
            raise InvalidInput(
                "Unit mismatch",
                field="includedQuantity.units",
                detail=f"must be {units} like unitOfMeasure",
            )
    if (tiers or "includedQuantity" in document) and "@type" not in document:
        document = {**document, "@type": USAGE_TYPE, "@baseType": "ProductOfferingPrice"}
    return document


def _refuse_usage_extensions(document: Document, price_type: str) -> None:
    for name in USAGE_EXTENSIONS:
        if document.get(name) is not None:
            raise InvalidInput(
                "Not a usage price", field=name, detail=f"means nothing on a {price_type} price"
            )


def _check_tax(document: Document, amount: PriceAmount | None) -> None:
    for index, item in enumerate(document.get("tax") or []):
        if item.get("taxAmount") is not None:
            money = parse_money(item["taxAmount"], f"tax[{index}].taxAmount")
            if amount is not None and money.currency != amount.currency:
                _mixed(f"tax[{index}].taxAmount.unit", amount.currency)
        if item.get("taxRate") is not None:
            parse_decimal(item["taxRate"], f"tax[{index}].taxRate")


def _unit_label(raw: Mapping[str, Any], field: str) -> str:
    """Where a price's currency sits: ``price.unit`` (Money) or inside the Price form."""
    if "unit" in raw:
        return f"{field}.unit"
    inner = "taxIncludedAmount" if raw.get("taxIncludedAmount") else "dutyFreeAmount"
    return f"{field}.{inner}.unit"


def _mixed(field: str, currency: str) -> None:
    raise InvalidInput(
        "Mixed currencies", field=field, detail=f"must be {currency}, the price's currency"
    )


def changed_terms(old: Document, new: Document) -> list[str]:
    """The pricing terms a change would alter (``validFor.startDateTime`` counts: moving it
    would re-price what was already charged)."""
    changed = [name for name in PRICING_TERMS if old.get(name) != new.get(name)]
    if _start(old) != _start(new):
        changed.append("validFor.startDateTime")
    return changed


def _start(document: Document) -> Any:
    return (document.get("validFor") or {}).get("startDateTime")


def read_price(price_id: str, document: Document) -> OfferingPrice:
    """The read model of a stored (hence already valid) productOfferingPrice."""
    unit = document.get("unitOfMeasure")
    unit_amount, units = parse_quantity(unit, "unitOfMeasure") if unit else (None, None)
    included = document.get("includedQuantity")
    period = document.get("validFor") or {}
    return OfferingPrice(
        id=price_id,
        name=str(document.get("name", "")),
        lifecycle_status=document.get("lifecycleStatus"),
        price_type=document.get("priceType"),
        amount=_amount(document, required=False),
        period_type=document.get("recurringChargePeriodType"),
        period_length=document.get("recurringChargePeriodLength"),
        unit_of_measure=units,
        unit_amount=unit_amount,
        tiers=parse_tiers(document["tier"]) if document.get("tier") else (),
        included_quantity=parse_quantity(included, "includedQuantity")[0] if included else None,
        valid_from=_instant(period.get("startDateTime")),
        valid_to=_instant(period.get("endDateTime")),
    )


def _instant(raw: Any) -> datetime | None:
    return None if raw is None else parse_datetime(str(raw))
