"""Parsing a usage price document into a ``Tariff`` (catalog/tariff.py): every term of our
extension validated with an ``InvalidInput`` naming its field, and converted once to the
integers rating works in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ossbss.catalog.amounts import (
    RATE_DIGITS,
    Amount,
    PriceAmount,
    parse_decimal,
    parse_price,
    parse_quantity,
)
from ossbss.catalog.tariff import (
    FAIR_USAGE_POLICIES,
    MINUTES_PER_DAY,
    UNITS,
    WEEKDAYS,
    FairUsage,
    Increment,
    RateTier,
    Tariff,
    TimeBand,
    Zone,
)
from ossbss.catalog.tiers import Tier, parse_tiers
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import minor_unit_exponent
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import Document

_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_PREFIX = re.compile(r"^\d{1,15}$")


def parse_tariff(price_id: str, document: Document) -> Tariff:
    """A usage price document -> Tariff; InvalidInput naming the field if a term is wrong."""
    unit_amount, units = parse_quantity(document.get("unitOfMeasure"), "unitOfMeasure")
    kind, base = unit_family(units, "unitOfMeasure.units")
    if unit_amount <= 0:
        raise InvalidInput("Invalid value", field="unitOfMeasure.amount", detail="must be above 0")
    # price per base unit = rate / (unit_amount * base) = rate * q / (p * base), unit_amount = p/q
    p, q = unit_amount.as_integer_ratio()
    amount = _rate_amount(document.get("price"), "price")
    tiers = parse_tiers(document["tier"]) if document.get("tier") is not None else ()
    zones_raw = document.get("destinationZone")
    currency = _currency(amount, tiers, zones_raw)
    zones = _zones(zones_raw, currency, q, kind, amount, tiers) if zones_raw is not None else ()
    included = _included(document, units, base)
    valid = document.get("validFor") or {}
    return Tariff(
        price_id=price_id,
        name=str(document.get("name", "")),
        kind=kind,
        units=units,
        base_per_unit=base,
        currency=currency,
        scale=minor_unit_exponent(currency) + RATE_DIGITS,
        denominator=p * base,
        rate=None if amount is None else amount.units * q,
        tiers=tuple(_rate_tier(tier, index, base, q) for index, tier in enumerate(tiers)),
        included=included,
        increment=_increment(document.get("billingIncrement")),
        time_zone=_time_zone(document.get("timeZone")),
        bands=_bands(document.get("timeBand")),
        zones=zones,
        fair_usage=_fair_usage(document.get("fairUsage"), included),
        rollover_max=_rollover(document.get("rollover"), kind, included),
        lifecycle_status=document.get("lifecycleStatus"),
        valid_from=_instant(valid.get("startDateTime")),
        valid_to=_instant(valid.get("endDateTime")),
    )


def unit_family(units: str, field: str) -> tuple[str, int]:
    found = UNITS.get(units.strip().casefold())
    if found is None:
        raise InvalidInput(
            "Unknown unit",
            field=field,
            detail=f"{units!r} is not one of B, KB, MB, GB, TB, s, min, h, event, sms, message",
        )
    return found


def _rate_amount(raw: Any, field: str) -> Amount | None:
    """The rated amount: duty free if the price gives it, else tax included."""
    if raw is None:
        return None
    price = parse_price(raw, field, extra_digits=RATE_DIGITS)
    return _one(price)


def _one(price: PriceAmount) -> Amount:
    amount = price.duty_free or price.tax_included
    assert amount is not None  # parse_price guarantees one
    return amount


def _currency(amount: Amount | None, tiers: tuple[Tier, ...], zones: Any) -> str:
    if amount is not None:
        return amount.currency
    if tiers:
        return tiers[0].price.currency
    for index, item in enumerate(zones if isinstance(zones, list) else []):
        if isinstance(item, Mapping) and item.get("price") is not None:
            label = f"destinationZone[{index}].price"
            return _one(parse_price(item["price"], label, extra_digits=RATE_DIGITS)).currency
    raise InvalidInput(
        "Missing mandatory attribute",
        field="price",
        detail="a usage price needs price, tier or a priced destinationZone",
    )


def _whole(quantity: Decimal, base: int, field: str) -> int:
    value = quantity * base
    if value != value.to_integral_value():
        raise InvalidInput(
            "Invalid quantity", field=field, detail="must be a whole number of base units"
        )
    return int(value)


def _rate_tier(tier: Tier, index: int, base: int, q: int) -> RateTier:
    label = f"tier[{index}]"
    end = tier.to_quantity
    return RateTier(
        start=_whole(tier.from_quantity, base, f"{label}.fromQuantity"),
        end=None if end is None else _whole(end, base, f"{label}.toQuantity"),
        rate=_one(tier.price).units * q,
    )


def _included(document: Document, units: str, base: int) -> int:
    raw = document.get("includedQuantity")
    if raw is None:
        return 0
    amount, included_units = parse_quantity(raw, "includedQuantity")
    if included_units != units:
        raise InvalidInput(
            "Unit mismatch", field="includedQuantity.units", detail=f"must be {units}"
        )
    return _whole(amount, base, "includedQuantity.amount")


def _increment(raw: Any) -> Increment:
    if raw is None:
        return Increment(first=1, next=1)
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            "Invalid type", field="billingIncrement", detail='must be {"first": 60, "next": 60}'
        )
    return Increment(
        first=_positive_int(raw.get("first"), "billingIncrement.first"),
        next=_positive_int(raw.get("next"), "billingIncrement.next"),
    )


def _positive_int(raw: Any, field: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise InvalidInput("Invalid value", field=field, detail="must be a whole number >= 1")
    return raw


def _time_zone(raw: Any) -> str:
    if raw is None:
        return "UTC"
    try:
        if not isinstance(raw, str) or not raw:
            raise ValueError
        ZoneInfo(raw)
    except (ValueError, ZoneInfoNotFoundError):
        raise InvalidInput(
            "Unknown time zone", field="timeZone", detail=f"{raw!r} is not an IANA time zone"
        ) from None
    return raw


def _bands(raw: Any) -> tuple[TimeBand, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidInput("Invalid type", field="timeBand", detail="must be an array")
    bands: list[TimeBand] = []
    for index, item in enumerate(raw):
        band = _band(item, f"timeBand[{index}]")
        for other_index, other in enumerate(bands):
            if band.name == other.name:
                raise InvalidInput(
                    "Duplicate band", field=f"timeBand[{index}].name", detail="names are unique"
                )
            _check_no_overlap(band, other, f"timeBand[{index}]", f"timeBand[{other_index}]")
        bands.append(band)
    return tuple(bands)


def _band(item: Any, label: str) -> TimeBand:
    if not isinstance(item, Mapping):
        raise InvalidInput("Invalid type", field=label, detail="must be object")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("Missing mandatory attribute", field=f"{label}.name", detail="required")
    start = _minute(item.get("startTime"), f"{label}.startTime")
    end = _minute(item.get("endTime"), f"{label}.endTime")
    if start >= MINUTES_PER_DAY:
        raise InvalidInput("Invalid time", field=f"{label}.startTime", detail="24:00 ends a day")
    if end <= start:
        raise InvalidInput(
            "Invalid time",
            field=f"{label}.endTime",
            detail="must be after startTime (split a band that crosses midnight in two)",
        )
    percentage = parse_decimal(item.get("percentage"), f"{label}.percentage")
    percent = percentage * 100
    if percent != percent.to_integral_value():
        raise InvalidInput(
            "Invalid value", field=f"{label}.percentage", detail="at most 2 decimals"
        )
    return TimeBand(
        name=name,
        weekdays=_weekdays(item.get("weekdays"), f"{label}.weekdays"),
        start_minute=start,
        end_minute=end,
        percentage=percentage,
        percent=int(percent),
    )


def _minute(raw: Any, field: str) -> int:
    match = _TIME.match(raw) if isinstance(raw, str) else None
    minute = int(match[1]) * 60 + int(match[2]) if match else MINUTES_PER_DAY + 1
    if minute > MINUTES_PER_DAY:
        raise InvalidInput("Invalid time", field=field, detail='must be "HH:MM", 00:00 to 24:00')
    return minute


def _weekdays(raw: Any, field: str) -> frozenset[int]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("Invalid weekdays", field=field, detail="must be a non-empty array")
    days: set[int] = set()
    for index, day in enumerate(raw):
        name = day.strip().casefold() if isinstance(day, str) else None
        if name not in WEEKDAYS:
            raise InvalidInput(
                "Invalid weekday", field=f"{field}[{index}]", detail=f"one of {', '.join(WEEKDAYS)}"
            )
        days.add(WEEKDAYS.index(name))
    return frozenset(days)


def _check_no_overlap(band: TimeBand, other: TimeBand, label: str, other_label: str) -> None:
    shared = band.weekdays & other.weekdays
    if shared and band.start_minute < other.end_minute and other.start_minute < band.end_minute:
        day = WEEKDAYS[min(shared)]
        raise InvalidInput(
            "Overlapping bands", field=label, detail=f"overlaps {other_label} on {day}"
        )


def _zones(
    raw: Any,
    currency: str,
    q: int,
    kind: str,
    amount: Amount | None,
    tiers: tuple[Tier, ...],
) -> tuple[Zone, ...]:
    if kind == "data":
        raise InvalidInput(
            "Not for data", field="destinationZone", detail="only voice and sms have destinations"
        )
    if tiers or amount is not None:
        # One definition: a zoned tariff is priced per zone, nothing else applies to it.
        field = "tier" if tiers else "price"
        raise InvalidInput(
            "Zones exclude other prices",
            field=field,
            detail="a tariff with destinationZone is priced per zone only",
        )
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("Invalid zones", field="destinationZone", detail="non-empty array")
    zones: list[Zone] = []
    owner: dict[str, str] = {}
    for index, item in enumerate(raw):
        zone = _zone(item, f"destinationZone[{index}]", currency, q)
        for number, prefix in enumerate(zone.prefixes):
            if prefix in owner:
                raise InvalidInput(
                    "Duplicate prefix",
                    field=f"destinationZone[{index}].prefixes[{number}]",
                    detail=f"{prefix} is already in {owner[prefix]}",
                )
            owner[prefix] = f"destinationZone[{index}]"
        if any(zone.name == other.name for other in zones):
            raise InvalidInput(
                "Duplicate zone", field=f"destinationZone[{index}].name", detail="names are unique"
            )
        zones.append(zone)
    return tuple(zones)


def _zone(item: Any, label: str, currency: str, q: int) -> Zone:
    if not isinstance(item, Mapping):
        raise InvalidInput("Invalid type", field=label, detail="must be object")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("Missing mandatory attribute", field=f"{label}.name", detail="required")
    prefixes = item.get("prefixes")
    if not isinstance(prefixes, list) or not prefixes:
        raise InvalidInput("Invalid prefixes", field=f"{label}.prefixes", detail="non-empty array")
    for index, prefix in enumerate(prefixes):
        if not isinstance(prefix, str) or not _PREFIX.match(prefix):
            raise InvalidInput(
                "Invalid prefix", field=f"{label}.prefixes[{index}]", detail="1 to 15 digits"
            )
    rate = _rate_amount(item.get("price"), f"{label}.price")
    if rate is not None and rate.currency != currency:
        raise InvalidInput(
            "Mixed currencies", field=f"{label}.price.unit", detail=f"must be {currency}"
        )
    return Zone(
        name=name,
        prefixes=tuple(dict.fromkeys(prefixes)),
        rate=None if rate is None else rate.units * q,
    )


def _fair_usage(raw: Any, included: int) -> FairUsage | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidInput("Invalid type", field="fairUsage", detail="must be object")
    if not included:
        raise InvalidInput(
            "Missing mandatory attribute",
            field="includedQuantity",
            detail="fairUsage applies at 100% of includedQuantity",
        )
    policy = raw.get("policy")
    if policy not in FAIR_USAGE_POLICIES:
        raise InvalidInput(
            "Invalid value", field="fairUsage.policy", detail=f"one of {FAIR_USAGE_POLICIES}"
        )
    down, up = raw.get("throttleDownKbps"), raw.get("throttleUpKbps")
    if policy == "throttle":
        down = _positive_int(down, "fairUsage.throttleDownKbps")
        up = _positive_int(up, "fairUsage.throttleUpKbps")
    elif down is not None or up is not None:
        field = "fairUsage.throttleDownKbps" if down is not None else "fairUsage.throttleUpKbps"
        raise InvalidInput("Not throttled", field=field, detail="only with policy throttle")
    return FairUsage(policy=policy, throttle_down_kbps=down, throttle_up_kbps=up)


def _rollover(raw: Any, kind: str, included: int) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidInput("Invalid type", field="rollover", detail="must be object")
    if not included:
        raise InvalidInput(
            "Missing mandatory attribute",
            field="includedQuantity",
            detail="only an included allowance can roll over",
        )
    amount, units = parse_quantity(raw.get("maxQuantity"), "rollover.maxQuantity")
    family, base = unit_family(units, "rollover.maxQuantity.units")
    if family != kind:
        raise InvalidInput(
            "Unit mismatch", field="rollover.maxQuantity.units", detail=f"must be a {kind} unit"
        )
    return _whole(amount, base, "rollover.maxQuantity.amount")


def _instant(raw: Any) -> datetime | None:
    return None if raw is None else parse_datetime(str(raw))
