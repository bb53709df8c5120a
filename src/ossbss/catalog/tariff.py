"""Usage tariffs, pure: our documented extension of a TMF620 usage productOfferingPrice, parsed
into the one frozen ``Tariff`` both raters (batch and per request) read.

Everything is converted once to integers so that rating is exact integer arithmetic:
quantities in base units (bytes, seconds, events), rates as numerators over the tariff's common
``denominator`` (price per base unit = numerator / denominator, in fine units of the currency:
10^-(minor digits + RATE_DIGITS)), band percentages in hundredths of a percent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# The extension attributes (docs/rooms/catalog.md), on top of ``tier`` and ``includedQuantity``.
TARIFF_EXTENSIONS = (
    "billingIncrement",
    "timeBand",
    "timeZone",
    "destinationZone",
    "fairUsage",
    "rollover",
)
KINDS = ("data", "voice", "sms")
# units (casefolded) -> (kind, base units per unit). Data is binary: 1 MB = 1,048,576 bytes.
UNITS: dict[str, tuple[str, int]] = {
    **dict.fromkeys(("b", "byte", "bytes"), ("data", 1)),
    **dict.fromkeys(("kb", "kib"), ("data", 1024)),
    **dict.fromkeys(("mb", "mib"), ("data", 1024**2)),
    **dict.fromkeys(("gb", "gib"), ("data", 1024**3)),
    **dict.fromkeys(("tb", "tib"), ("data", 1024**4)),
    **dict.fromkeys(("s", "sec", "second", "seconds"), ("voice", 1)),
    **dict.fromkeys(("min", "minute", "minutes"), ("voice", 60)),
    **dict.fromkeys(("h", "hour", "hours"), ("voice", 3600)),
    **dict.fromkeys(("event", "events", "sms", "message", "messages"), ("sms", 1)),
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FAIR_USAGE_POLICIES = ("throttle", "block", "charge")
# A band percentage is kept in hundredths of a percent: 100% = 10,000.
FULL_PERCENT = 10_000
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class Increment:
    """Billing increments in base units: the first ``first`` units are charged as a whole, then
    each started ``next``. A quantity of zero stays zero (no minimum charge)."""

    first: int
    next: int

    def round_up(self, quantity: int) -> int:
        if quantity <= 0:
            return 0
        if quantity <= self.first:
            return self.first
        steps = -(-(quantity - self.first) // self.next)
        return self.first + steps * self.next


@dataclass(frozen=True, slots=True)
class TimeBand:
    """``[start_minute, end_minute)`` of the local day on ``weekdays`` (0 = Monday)."""

    name: str
    weekdays: frozenset[int]
    start_minute: int
    end_minute: int
    percentage: Decimal
    percent: int  # hundredths of a percent (the exact integer the raters use)

    def contains(self, weekday: int, minute: int) -> bool:
        return weekday in self.weekdays and self.start_minute <= minute < self.end_minute


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    prefixes: tuple[str, ...]
    rate: int | None  # numerator over Tariff.denominator; None: no price, records rejected


@dataclass(frozen=True, slots=True)
class RateTier:
    """A graduated band of the chargeable quantity, ``[start, end)`` in base units."""

    start: int
    end: int | None
    rate: int  # numerator over Tariff.denominator


@dataclass(frozen=True, slots=True)
class FairUsage:
    """What applies once 100% of the included quantity is used (events are built elsewhere)."""

    policy: str
    throttle_down_kbps: int | None
    throttle_up_kbps: int | None


@dataclass(frozen=True, slots=True)
class Tariff:
    """A usage price ready for rating: integers only, per base unit of its kind."""

    price_id: str
    name: str
    kind: str  # data | voice | sms
    units: str  # unitOfMeasure.units as written
    base_per_unit: int  # base units in one unit of measure
    currency: str
    scale: int  # amounts are in 10^-scale currency units (minor digits + RATE_DIGITS)
    denominator: int  # rates are numerators over this many base units
    rate: int | None  # the plain price (no tiers, no zones)
    tiers: tuple[RateTier, ...]
    included: int  # base units included per period
    increment: Increment
    time_zone: str
    bands: tuple[TimeBand, ...]
    zones: tuple[Zone, ...]
    fair_usage: FairUsage | None
    rollover_max: int | None  # base units
    lifecycle_status: str | None
    valid_from: datetime | None
    valid_to: datetime | None

    def is_valid_at(self, at: datetime) -> bool:
        """Half-open validFor, an open bound is unbounded."""
        if self.valid_from is not None and at < self.valid_from:
            return False
        return self.valid_to is None or at < self.valid_to

    def zone_for(self, destination: str | None) -> Zone | None:
        """The zone with the longest prefix of the destination (a leading + is ignored)."""
        number = normalise_destination(destination)
        best: tuple[int, Zone] | None = None
        for zone in self.zones:
            for prefix in zone.prefixes:
                if number.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), zone)
        return best[1] if best else None

    def band_at(self, weekday: int, minute: int) -> TimeBand | None:
        return next((band for band in self.bands if band.contains(weekday, minute)), None)


def normalise_destination(destination: str | None) -> str:
    return (destination or "").strip().removeprefix("+")


def select_tariff(tariffs: Sequence[Tariff], kind: str, at: datetime) -> Tariff | None:
    """The tariff of ``kind`` valid at ``at``; if several are, the one that started last."""
    valid = [t for t in tariffs if t.kind == kind and t.is_valid_at(at)]
    if not valid:
        return None
    return max(valid, key=lambda t: (t.valid_from is not None, t.valid_from or at))
