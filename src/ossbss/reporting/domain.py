"""Pure reporting rules: months, normalising recurring prices to a month, aging buckets,
rates and amounts as text. No session, no clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import minor_unit_exponent
from ossbss.kernel.time import Period

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# How many of a price's periods make a month: a year is 52 weeks or 365 days (a leap day
# or a 53rd week is not recurring revenue).
PER_MONTH: dict[str, Decimal] = {
    "day": Decimal(365) / 12,
    "week": Decimal(52) / 12,
    "month": Decimal(1),
    "year": Decimal(1) / 12,
}
_SPELLINGS = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
    "annual": "year",
}
AGING_BUCKETS = ("current", "0-30", "31-60", "61-90", "90+")


def month_start(text: str, *, field: str = "month") -> datetime:
    """``2026-01`` -> 2026-01-01T00:00Z."""
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found[2]) <= 12:
        raise InvalidInput("Invalid month", field=field, detail=f"YYYY-MM, not {text!r}")
    return datetime(int(found[1]), int(found[2]), 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def months(first: str, last: str | None = None) -> Period:
    """The calendar months ``first`` to ``last`` included, half-open: [first, last + 1)."""
    start = month_start(first, field="from")
    end = next_month(month_start(last, field="to") if last else start)
    if end <= start:
        raise InvalidInput("Invalid months", field="to", detail="to is before from")
    return Period(start, end)


def month_of(instant: datetime) -> str:
    return f"{instant.year:04d}-{instant.month:02d}"


def months_in(period: Period) -> list[str]:
    """Every month a bounded period touches, in order."""
    assert period.end is not None
    found = []
    cursor = datetime(period.start.year, period.start.month, 1, tzinfo=UTC)
    while cursor < period.end:
        found.append(month_of(cursor))
        cursor = next_month(cursor)
    return found


def instant_period(at: datetime) -> Period:
    """The smallest period holding ``at`` (what was live at that instant)."""
    return Period(at, at + timedelta(microseconds=1))


def monthly_minor(amount: Decimal, period: str, currency: str) -> int:
    """A recurring price per ``period`` as minor units per month, half-even."""
    canonical = _SPELLINGS.get(period.strip().lower(), period.strip().lower())
    if canonical not in PER_MONTH:
        raise InvalidInput("Unknown recurring period", field="recurringChargePeriod", detail=period)
    return round_half_even(amount * PER_MONTH[canonical] * 10 ** digits(currency))


@lru_cache(maxsize=64)
def digits(currency: str) -> int:
    """The currency's minor digits (checked once per currency: the lookup is not cheap)."""
    return minor_unit_exponent(currency)


def round_half_even(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def aging_bucket(due: datetime | None, as_of: datetime) -> str:
    """Current until the due instant, then by whole days past it: 0-30, 31-60, 61-90, 90+
    (the payment room's rule, so both aging views agree). No due date: current."""
    if due is None or as_of < due:
        return "current"
    days = (as_of - due).days
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


def per_head(amount: int, heads: int) -> int:
    """``amount / heads`` in the same minor units, half-even (heads > 0)."""
    return int((Decimal(amount) / Decimal(heads)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, two decimals, half-even; None when whole is 0."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )


def to_minor(amount: int, scale: int, currency: str | None) -> int:
    """A rated amount at ``scale`` digits as minor units of the currency, half-even."""
    if not currency or amount == 0:
        return 0
    shift = scale - digits(currency)
    if shift <= 0:
        return amount * int(10 ** (-shift))
    return int(
        (Decimal(amount) / Decimal(10**shift)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    )


def decimal_text(minor: int, currency: str | None) -> str:
    """Minor units as the currency's decimal text: 1230 EUR -> "12.30"."""
    if not currency:
        return str(minor)
    return str(Decimal(minor).scaleb(-digits(currency)))
