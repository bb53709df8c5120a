"""Proration and rounding, pure (ADR 0017).

A recurring price is prorated by the seconds a product was active over the seconds of the bill
period, in exact fractions, and rounded half-even to the currency's minor unit once per line.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from ossbss.kernel.time import Period

DASH = "\u2013"  # an en dash between dates
DAY = 86_400
WEEK = 7 * DAY
# A month or year price over a period that is not whole months (an on-demand bill): the
# Gregorian mean month, so twelve of them make a mean year.
MEAN_MONTH = 2_629_746


def seconds(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds())


def span(period: Period) -> int:
    assert period.end is not None, "a bill period is closed"
    return seconds(period.start, period.end)


def whole_months(period: Period) -> int | None:
    """How many calendar months the period is, if it is whole months (a billing period)."""
    assert period.end is not None
    start, end = period.start, period.end
    months = (end.year - start.year) * 12 + end.month - start.month
    if months >= 1 and add_months(start, months) == end:
        return months
    return None


def add_months(instant: datetime, months: int) -> datetime:
    years, month_index = divmod(instant.month - 1 + months, 12)
    year = instant.year + years
    day = min(instant.day, calendar.monthrange(year, month_index + 1)[1])
    return instant.replace(year=year, month=month_index + 1, day=day)


@lru_cache(maxsize=256)
def next_period(period: Period) -> Period:
    """The bill period after ``period``: as many months (or as long) again."""
    assert period.end is not None
    months = whole_months(period)
    if months is not None:
        return Period(period.end, add_months(period.start, 2 * months))
    return Period(period.end, period.end + (period.end - period.start))


@lru_cache(maxsize=1024)
def price_periods(period: Period, period_type: str | None, length: int = 1) -> Fraction:
    """How many of a price's charge periods (``length`` months, days...) ``period`` is."""
    months = whole_months(period)
    total = span(period)
    if period_type in (None, "month", "year"):
        per_year = 12 if period_type == "year" else 1
        count = Fraction(months) if months is not None else Fraction(total, MEAN_MONTH)
        return count / (per_year * length)
    unit = WEEK if period_type == "week" else DAY
    return Fraction(total, unit * length)


@lru_cache(maxsize=4096)
def to_minor(value: Decimal | str | int | float, exponent: int) -> Fraction:
    """An amount in major units (29.99) as exact minor units (2999)."""
    minor: Fraction = Fraction(Decimal(str(value))) * 10**exponent
    return minor


def divide_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half to even, in integers (no Fraction on hot paths)."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def round_minor(value: Fraction | int) -> int:
    """Half-even to a whole minor unit."""
    if isinstance(value, int):
        return value
    return divide_half_even(value.numerator, value.denominator)


def prorate(full_minor: Fraction, active: int, total: int) -> int:
    """The share of a full-period charge for ``active`` of ``total`` seconds, rounded once."""
    return divide_half_even(full_minor.numerator * active, full_minor.denominator * total)


def day_count(secs: int) -> str:
    """Days as people read them: "20", or "20.5" when a change fell mid-day."""
    days = Fraction(secs, DAY)
    if days.denominator == 1:
        return str(days.numerator)
    return f"{Decimal(days.numerator) / Decimal(days.denominator):.1f}"


@lru_cache(maxsize=4096)
def date_range(start: datetime, end: datetime) -> str:
    """ "12 Jan-1 Feb 2026" with an en dash (the end is exclusive, as the period is)."""
    if start.year == end.year:
        return f"{start.day} {start:%b}{DASH}{end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y}{DASH}{end.day} {end:%b %Y}"


def describe_part(name: str, start: datetime, end: datetime, period: Period) -> str:
    """ "Fibre 500, 12 Jan-1 Feb 2026 (20 of 31 days)"."""
    part, whole = seconds(start, end), span(period)
    if part == whole:
        return f"{name}, {date_range(start, end)}"
    return f"{name}, {date_range(start, end)} ({day_count(part)} of {day_count(whole)} days)"


def a_moment_after(instant: datetime) -> datetime:
    return instant + timedelta(microseconds=1)
