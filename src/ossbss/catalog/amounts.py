"""Amounts in prices, pure: ISO 4217 currencies, exact decimals, the Money and Price forms.

Amounts arrive as JSON numbers; they are read through ``Decimal(str(value))`` and must fit the
currency's minor unit exactly (29.99 EUR yes, 29.999 EUR no): money is never a float here.
Usage rates are the exception the architecture names ("a finer fixed scale for rated usage"):
a price per MB or per minute may carry RATE_DIGITS more decimals (0.0035 EUR/MB).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import (
    Money,
    UnknownCurrency,
    check_currency,
    decimal_from_json,
    minor_unit_exponent,
)

RATE_DIGITS = 4


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


def parse_decimal(raw: Any, field: str, *, minimum: Decimal | None = Decimal(0)) -> Decimal:
    if raw is None:
        raise InvalidInput("Missing mandatory attribute", field=field, detail="is required")
    value = decimal_from_json(raw, field=field)
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
