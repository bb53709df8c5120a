"""Usage on a bill, pure: one line per product and kind, a quantity people read, and the
summed fine amounts rounded half-even once."""

from __future__ import annotations

from fractions import Fraction

from ossbss.billing.charges.proration import divide_half_even

GIB = 1024**3
MIB = 1024**2


def quantity(kind: str, *, duration_seconds: int, bytes_total: int, events: int) -> str:
    """ "1.2 GB", "340.5 MB", "132 min", "40 SMS"."""
    if kind == "data":
        if bytes_total >= GIB:
            return f"{_one_decimal(Fraction(bytes_total, GIB))} GB"
        return f"{_one_decimal(Fraction(bytes_total, MIB))} MB"
    if kind == "voice":
        return f"{_one_decimal(Fraction(duration_seconds, 60))} min"
    if kind == "sms":
        return f"{events} SMS"
    return f"{events} events"


def _one_decimal(value: Fraction) -> str:
    """To one decimal, half-even, without a trailing ".0" (integers only: no Decimal here)."""
    tenths = divide_half_even(value.numerator * 10, value.denominator)
    whole, tenth = divmod(abs(tenths), 10)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{whole}" if tenth == 0 else f"{sign}{whole}.{tenth}"


KIND_NAMES = {"data": "Data", "voice": "Calls", "sms": "SMS"}


def describe(kind: str, product_name: str, records: int, quantity_text: str) -> str:
    what = KIND_NAMES.get(kind, kind)
    plural = "" if records == 1 else "s"
    return f"{product_name}: {what} usage, {quantity_text} ({records} record{plural})"
