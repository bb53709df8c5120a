"""Money: integer minor units with an ISO 4217 currency. Never float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import pycountry
from babel.numbers import get_currency_precision

from ossbss.kernel.errors import InvalidInput


class UnknownCurrency(ValueError):
    pass


def check_currency(code: str) -> str:
    """Return the ISO 4217 code if it is a real currency, else raise UnknownCurrency."""
    if (
        not isinstance(code, str)
        or len(code) != 3
        or pycountry.currencies.get(alpha_3=code) is None
    ):
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency code")
    return code


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (EUR 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(check_currency(currency)))


@dataclass(frozen=True, slots=True, order=True)
class Money:
    currency: str
    minor: int

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int (minor units)")

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str) -> Money:
        """Round a decimal amount half-even to the currency's minor unit (the one place we do)."""
        exponent = minor_unit_exponent(currency)
        quantum = Decimal(1).scaleb(-exponent)
        rounded = Decimal(str(amount)).quantize(quantum, rounding=ROUND_HALF_EVEN)
        return cls(currency=currency, minor=int(rounded.scaleb(exponent)))

    def to_decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-minor_unit_exponent(self.currency))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.currency, self.minor + other.minor)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.currency, self.minor - other.minor)

    def __neg__(self) -> Money:
        return Money(self.currency, -self.minor)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")


def decimal_from_json(value: object, *, field: str) -> Decimal:
    """An exact Decimal from a JSON number (TMF amounts are numbers, not strings).

    ``str()`` first: a JSON number arrives as a float, and Decimal(float) would carry its
    binary error (Decimal(0.1) != Decimal("0.1")).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("Invalid amount", field=field, detail="must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput("Invalid amount", field=field, detail="must be a number") from None
    if not amount.is_finite():
        raise InvalidInput("Invalid amount", field=field, detail="must be a finite number")
    return amount
