"""charging rules, pure: usage kinds and their units, rating groups, billing periods,
grants from a balance, thresholds. No session, no clock."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period

DATA, VOICE, SMS, MONEY = "data", "voice", "sms", "monetary"
UNIT_KINDS = (DATA, VOICE, SMS)
# The unit each kind of bucket counts in (integers: bytes, seconds, events).
BASE_UNIT = {DATA: "byte", VOICE: "second", SMS: "event"}
# How many base units one catalog unit of measure is. MB and GB are binary (1 MB = 2^20 bytes),
# as operators count them.
UNIT_SIZES: dict[str, tuple[str, int]] = {
    "byte": (DATA, 1),
    "bytes": (DATA, 1),
    "b": (DATA, 1),
    "kb": (DATA, 1024),
    "mb": (DATA, 1024**2),
    "gb": (DATA, 1024**3),
    "second": (VOICE, 1),
    "seconds": (VOICE, 1),
    "s": (VOICE, 1),
    "sec": (VOICE, 1),
    "min": (VOICE, 60),
    "minute": (VOICE, 60),
    "minutes": (VOICE, 60),
    "hour": (VOICE, 3600),
    "sms": (SMS, 1),
    "event": (SMS, 1),
    "events": (SMS, 1),
    "message": (SMS, 1),
}
# Rating group -> usage kind, as the network is configured (override with the setting
# OSSBSS_CHARGING_RATING_GROUPS, e.g. "10=data,20=voice,30=sms").
DEFAULT_RATING_GROUPS = {10: DATA, 20: VOICE, 30: SMS}
# What a session gets when it asks for "some" units (an empty requestedUnit).
DEFAULT_QUOTA = {DATA: 10 * 1024**2, VOICE: 300, SMS: 1}
THRESHOLDS = (80, 100)


def parse_rating_groups(text: str) -> dict[int, str]:
    """``"10=data,20=voice"`` -> {10: "data", 20: "voice"}; empty means the defaults."""
    if not text.strip():
        return dict(DEFAULT_RATING_GROUPS)
    groups: dict[int, str] = {}
    for item in text.split(","):
        group, _, kind = item.partition("=")
        if not group.strip().isdigit() or kind.strip() not in UNIT_KINDS:
            raise ValueError(f"bad rating group mapping {item!r}: use <number>=data|voice|sms")
        groups[int(group)] = kind.strip()
    return groups


def unit_size(units: str) -> tuple[str, int]:
    """(kind, base units per unit) for a unit of measure such as "MB" or "min"."""
    found = UNIT_SIZES.get(units.strip().lower())
    if found is None:
        raise InvalidInput(
            "Unknown unit", field="units", detail=f"{units!r} is not a data, time or event unit"
        )
    return found


def to_base_units(amount: Decimal, units: str) -> tuple[str, int]:
    """A quantity in catalog units -> (kind, whole base units), rounded up."""
    kind, size = unit_size(units)
    return kind, int((amount * size).to_integral_value(rounding=ROUND_CEILING))


# --- billing periods ----------------------------------------------------------------------


def billing_period(at: datetime, *, billing_day: int = 1, months: int = 1) -> Period:
    """The half-open billing period containing ``at``: periods start on ``billing_day`` at
    midnight UTC and last ``months`` months (counted from January of year 1, so every account
    with the same cycle has the same periods)."""
    start_month = _month_index(at.year, at.month)
    if at.day < billing_day:
        start_month -= 1
    start_month -= start_month % months
    start = _month_start(start_month, billing_day)
    return Period(start, _month_start(start_month + months, billing_day))


def _month_index(year: int, month: int) -> int:
    return year * 12 + (month - 1)


def _month_start(index: int, day: int) -> datetime:
    year, month = divmod(index, 12)
    day = min(day, calendar.monthrange(year, month + 1)[1])
    return datetime(year, month + 1, day, tzinfo=UTC)


def previous_period(period: Period, *, billing_day: int = 1, months: int = 1) -> Period:
    return billing_period(
        period.start - timedelta(seconds=1), billing_day=billing_day, months=months
    )


# --- grants -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grant:
    """What one request for ``requested`` units gets: from the allowance, from money."""

    from_allowance: int
    from_money: int
    money_held: int  # minor units held on the money bucket for ``from_money``

    @property
    def units(self) -> int:
        return self.from_allowance + self.from_money


def crossed_thresholds(initial: int, remaining_before: int, remaining_after: int) -> list[int]:
    """The allowance thresholds (percent used) this debit crossed."""
    if initial <= 0:
        return []
    used_before = (initial - remaining_before) * 100
    used_after = (initial - remaining_after) * 100
    return [p for p in THRESHOLDS if used_before < p * initial <= used_after]


def rollover_quantity(unused: int, maximum: int | None) -> int:
    """Unused allowance carried into the next period, capped by the price's maximum."""
    if unused <= 0:
        return 0
    return unused if maximum is None else min(unused, max(maximum, 0))


def strip_identifier(raw: str) -> str:
    """ "msisdn-447912000000" -> "447912000000" (also imsi-, nai-, gpsi-, supi-)."""
    kind, dash, value = raw.partition("-")
    if dash and kind.lower() in {"msisdn", "imsi", "nai", "gpsi", "supi", "imei", "extid"}:
        return value
    return raw
