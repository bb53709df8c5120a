"""How amounts and days are printed on an invoice: exact, from integer minor units.

An amount becomes a Decimal by shifting the integer by the currency's minor digits (EUR 2,
JPY 0, BHD 3) — no float is ever involved — and Babel prints it for the operator's locale.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from ossbss.kernel.money import minor_unit_exponent


@lru_cache(maxsize=64)
def _digits(currency: str) -> int:
    return minor_unit_exponent(currency)


@lru_cache(maxsize=16)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def amount_decimal(minor: int, currency: str) -> Decimal:
    """The exact decimal amount of ``minor`` units of ``currency``."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError("amounts are integer minor units")
    return Decimal(minor).scaleb(-_digits(currency))


def format_money(minor: int, currency: str, locale: str = "en_IE") -> str:
    """``123456, "EUR"`` -> ``€1,234.56``; ``1234567, "JPY"`` -> ``JP¥1,234,567``."""
    # currency_digits: Babel pads/rounds to the currency's own digits, which are exactly the
    # digits the Decimal already has, so nothing is ever rounded here.
    return format_currency(amount_decimal(minor, currency), currency, locale=_locale(locale))


def format_rate(rate: str, locale: str = "en_IE") -> str:
    """A tax rate given as a decimal percent string: ``"20"`` -> ``20%``, ``"5.5"`` -> ``5.5%``."""
    return f"{format_decimal(Decimal(rate).normalize(), locale=_locale(locale))}%"


def as_day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def format_day(value: date | datetime | None, locale: str = "en_IE") -> str:
    if value is None:
        return ""
    return format_date(as_day(value), format="medium", locale=_locale(locale))


def format_period(
    start: date | datetime | None, end: date | datetime | None, locale: str = "en_IE"
) -> str:
    """A half-open period ``[start, end)`` as people read it: its first and its last day."""
    if start is None:
        return ""
    if end is None:
        return f"from {format_day(start, locale)}"
    last = as_day(end)
    # A period ending at midnight covers the day before; one ending later that day covers it.
    if not isinstance(end, datetime) or end.time() == datetime.min.time():
        last -= timedelta(days=1)
    if last <= as_day(start):
        return format_day(start, locale)
    return f"{format_day(start, locale)} \u2013 {format_day(last, locale)}"  # an en dash
