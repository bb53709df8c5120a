"""Rating one usage record, pure: the reference implementation of the rating model (ADR 0014).

The batch rater (``batch``) computes the same thing column-wise and must agree to the unit.
For a record of a tariff, with ``used_before`` = the rated quantity of the same product and
tariff earlier in the billing period (records ordered by ``(started_at, record_key)``):

1. quantity in base units (bytes up + down, seconds, events), rounded up to the billing
   increments; zero stays zero;
2. the included allowance is consumed first: ``included_used = min(q, max(0, included - U))``;
3. the rest is chargeable; tiers are graduated over the *chargeable* quantity of the period,
   counted from 0 where the allowance ends: this record covers ``[max(0, U - included),
   max(0, U + q - included))`` of that axis, each part at its tier's rate; a zoned tariff
   rates all of it at the zone's rate instead;
4. times the percentage of the time band the record *starts* in (100% outside any band);
5. rounded half-even once, to an integer amount of 10^-scale currency units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ossbss.catalog import FULL_PERCENT, Tariff, TimeBand, Zone, normalise_destination

RATED = "rated"
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """What rating reads of a usage record (mediation keeps the rest)."""

    record_key: str
    kind: str  # data | voice | sms
    started_at: datetime  # aware
    duration_seconds: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    events: int = 0
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class Rated:
    status: str  # rated | rejected
    amount: int  # in 10^-scale units of currency, 0 when rejected
    scale: int
    currency: str
    price_id: str
    rated_quantity: int  # base units after increments (0 when rejected)
    included_used: int
    chargeable_quantity: int
    band: str | None
    zone: str | None
    reason: str | None  # why a record was rejected


def raw_quantity(record: UsageRecord) -> int:
    if record.kind == "data":
        return record.bytes_up + record.bytes_down
    if record.kind == "voice":
        return record.duration_seconds
    return record.events


def rejection(tariff: Tariff, record: UsageRecord) -> tuple[str | None, Zone | None]:
    """Why ``record`` cannot be rated by ``tariff`` (None if it can), and its zone."""
    if record.kind != tariff.kind:
        return f"a {record.kind} record cannot be rated by a {tariff.kind} tariff", None
    if min(record.duration_seconds, record.bytes_up, record.bytes_down, record.events) < 0:
        return "negative quantity", None
    if not tariff.zones:
        return None, None
    zone = tariff.zone_for(record.destination)
    if zone is None:
        number = normalise_destination(record.destination)
        return f"no price for zone: destination '{number}' matches none", None
    if zone.rate is None:
        return f"no price for zone {zone.name}", zone
    return None, zone


def band_for(tariff: Tariff, at: datetime) -> TimeBand | None:
    """The band of the local wall-clock time (tariff.time_zone) at which a record starts."""
    if not tariff.bands:
        return None
    local = at.astimezone(ZoneInfo(tariff.time_zone))
    return tariff.band_at(local.weekday(), local.hour * 60 + local.minute)


def rate_one(tariff: Tariff, record: UsageRecord, used_before: int) -> Rated:
    reason, zone = rejection(tariff, record)
    if reason is not None:
        return _rejected(tariff, zone, reason)
    quantity = tariff.increment.round_up(raw_quantity(record))
    band = band_for(tariff, record.started_at)
    percent = FULL_PERCENT if band is None else band.percent
    included_used = min(quantity, max(0, tariff.included - used_before))
    return Rated(
        status=RATED,
        amount=charge(tariff, zone, used_before, quantity, percent),
        scale=tariff.scale,
        currency=tariff.currency,
        price_id=tariff.price_id,
        rated_quantity=quantity,
        included_used=included_used,
        chargeable_quantity=quantity - included_used,
        band=None if band is None else band.name,
        zone=None if zone is None else zone.name,
        reason=None,
    )


def rate_sequence(
    tariff: Tariff, records: Iterable[UsageRecord], used_before: int = 0
) -> list[Rated]:
    """Rate the records of one (product, tariff, billing period) in the model's order
    (started_at, record_key), each after what the previous ones used. Returned in that order."""
    rated = []
    for record in sorted(records, key=lambda item: (item.started_at, item.record_key)):
        result = rate_one(tariff, record, used_before)
        used_before += result.rated_quantity
        rated.append(result)
    return rated


def charge(tariff: Tariff, zone: Zone | None, used_before: int, quantity: int, percent: int) -> int:
    """The amount for ``quantity`` after ``used_before`` (steps 2 to 5 of the model)."""
    start = max(0, used_before - tariff.included)
    end = max(0, used_before + quantity - tariff.included)
    if zone is not None:
        assert zone.rate is not None  # rejected before
        exact = (end - start) * zone.rate
    elif tariff.tiers:
        exact = sum(
            max(0, min(end, tier.end if tier.end is not None else end) - max(start, tier.start))
            * tier.rate
            for tier in tariff.tiers
        )
    else:
        exact = (end - start) * (tariff.rate or 0)
    return divide_half_even(exact * percent, tariff.denominator * FULL_PERCENT)


def divide_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half to even (both >= 0, denominator > 0)."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        return quotient + 1
    return quotient


def units_for_amount(
    tariff: Tariff,
    amount: int,
    *,
    at: datetime,
    used_before: int,
    destination: str | None = None,
    limit: int = 10**15,
) -> int:
    """The largest quantity (base units, on an increment boundary, at most ``limit``) that a
    record starting at ``at`` after ``used_before`` can use for at most ``amount`` (10^-scale
    units): exactly what ``rate_one`` charges, so granting it never costs more. 0 if the
    destination cannot be rated."""
    record = UsageRecord("", tariff.kind, at, destination=destination)
    reason, zone = rejection(tariff, record)
    if reason is not None:
        return 0
    band = band_for(tariff, at)
    percent = FULL_PERCENT if band is None else band.percent
    increment = tariff.increment

    def quantity(steps: int) -> int:  # the steps-th increment boundary
        return 0 if steps == 0 else increment.first + (steps - 1) * increment.next

    def affordable(steps: int) -> bool:
        return charge(tariff, zone, used_before, quantity(steps), percent) <= amount

    # The charge never decreases with the quantity: binary search the last affordable step.
    high = 0 if limit < increment.first else 1 + (limit - increment.first) // increment.next
    if affordable(high):
        return quantity(high)
    low = 0
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if affordable(middle) else (low, middle)
    return quantity(low)


def _rejected(tariff: Tariff, zone: Zone | None, reason: str) -> Rated:
    return Rated(
        status=REJECTED,
        amount=0,
        scale=tariff.scale,
        currency=tariff.currency,
        price_id=tariff.price_id,
        rated_quantity=0,
        included_used=0,
        chargeable_quantity=0,
        band=None,
        zone=None if zone is None else zone.name,
        reason=reason,
    )
