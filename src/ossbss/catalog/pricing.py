"""Product offering price rules, pure: price types, charge periods, usage tiers, frozen terms,
and the read model other rooms get. Amounts themselves are parsed in ``amounts``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ossbss.catalog.amounts import (
    RATE_DIGITS,
    PriceAmount,
    parse_decimal,
    parse_money,
    parse_price,
    parse_quantity,
)
from ossbss.catalog.tariff import TARIFF_EXTENSIONS, Tariff
from ossbss.catalog.tariff_parsing import parse_tariff
from ossbss.catalog.tiers import Tier, parse_tiers
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import Document

PRICE_TYPES = ("recurring", "oneTime", "usage", "discount")
# Our documented extension on recurring prices (docs/rooms/catalog.md): charged for the period
# ahead (the default) or for the period just ended.
BILLING_TIMINGS = ("inAdvance", "inArrears")
IN_ADVANCE = "inAdvance"
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
USAGE_EXTENSIONS = ("tier", "includedQuantity", *TARIFF_EXTENSIONS)
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
    *TARIFF_EXTENSIONS,
    "popRelationship",
    "bundledPopRelationship",
    "pricingLogicAlgorithm",
    "billingTiming",
)


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
    tariff: Tariff | None = None  # usage prices: the terms the raters read
    billing_timing: str = IN_ADVANCE  # recurring only: inAdvance | inArrears
    percentage: Decimal | None = None  # discount only: off the recurring charges


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
    if price_type == "discount":
        return _check_discount(document)
    amount = _amount(document, required=price_type != "usage")
    _check_timing(document, price_type)
    document = _check_period_terms(document, price_type)
    if price_type == "usage":
        document = _check_usage(document, amount)
    else:
        _refuse_usage_extensions(document, price_type)
    _check_tax(document, amount)
    return document


def _check_timing(document: Document, price_type: str) -> None:
    timing = document.get("billingTiming")
    if timing is None:
        return
    if price_type != "recurring":
        raise InvalidInput(
            "Not a recurring price", field="billingTiming", detail="only a recurring price has one"
        )
    if timing not in BILLING_TIMINGS:
        raise InvalidInput(
            "Invalid value", field="billingTiming", detail=f"one of: {', '.join(BILLING_TIMINGS)}"
        )


def _check_discount(document: Document) -> Document:
    """A discount takes ``percentage`` (0-100) or a ``price`` off each recurring charge of the
    offering (prorated like the charge), while its validFor holds."""
    has_percentage = document.get("percentage") is not None
    has_price = document.get("price") is not None
    if has_percentage == has_price:
        raise InvalidInput(
            "Invalid discount",
            field="percentage" if not has_percentage else "price",
            detail="a discount has either percentage or price",
        )
    if has_percentage:
        percentage = parse_decimal(document["percentage"], "percentage")
        if percentage > 100:
            raise InvalidInput("Invalid value", field="percentage", detail="at most 100")
    else:
        _amount(document, required=True)
    for name in ("recurringChargePeriodType", "billingTiming", *USAGE_EXTENSIONS):
        if document.get(name) is not None:
            raise InvalidInput(
                "Not a discount term", field=name, detail="means nothing on a discount"
            )
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
    zoned = document.get("destinationZone") is not None
    if amount is None and not tiers and not zoned:
        raise InvalidInput(
            "Missing mandatory attribute",
            field="price",
            detail="a usage price needs price, tier or destinationZone",
        )
    currency = amount.currency if amount else tiers[0].price.currency if tiers else None
    for index, tier in enumerate(tiers):
        if currency is not None and tier.price.currency != currency:
            _mixed(_unit_label(document["tier"][index]["price"], f"tier[{index}].price"), currency)
    if document.get("includedQuantity") is not None:
        _included, included_units = parse_quantity(document["includedQuantity"], "includedQuantity")
        if included_units != units:
            raise InvalidInput(
                "Unit mismatch",
                field="includedQuantity.units",
                detail=f"must be {units} like unitOfMeasure",
            )
    parse_tariff("", document)  # the extension terms (billing increments, bands, zones...)
    extended = any(name in document for name in USAGE_EXTENSIONS)
    if extended and "@type" not in document:
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
        tariff=_tariff(price_id, document),
        billing_timing=str(document.get("billingTiming") or IN_ADVANCE),
        percentage=_percentage(document),
    )


def _percentage(document: Document) -> Decimal | None:
    raw = document.get("percentage")
    return None if raw is None else Decimal(str(raw))


def _tariff(price_id: str, document: Document) -> Tariff | None:
    if document.get("priceType") != "usage":
        return None
    try:
        return parse_tariff(price_id, document)
    except InvalidInput:
        # Stored before the tariff terms were checked (e.g. an unknown unit): not ratable.
        return None


def _instant(raw: Any) -> datetime | None:
    return None if raw is None else parse_datetime(str(raw))
