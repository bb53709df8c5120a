"""Usage tiers, pure: graduated bands on the quantity used in a charge period (moved out of
``pricing`` so that ``tariff`` can read them without an import cycle)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ossbss.catalog.amounts import RATE_DIGITS, PriceAmount, parse_decimal, parse_price
from ossbss.kernel.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Tier:
    """A usage band ``[from_quantity, to_quantity)``; ``to_quantity=None`` is open-ended."""

    from_quantity: Decimal
    to_quantity: Decimal | None
    price: PriceAmount

    def contains(self, quantity: Decimal) -> bool:
        above = quantity >= self.from_quantity
        return above and (self.to_quantity is None or quantity < self.to_quantity)


def parse_tiers(raw: Any, field: str = "tier") -> tuple[Tier, ...]:
    """Tiers start at 0, follow each other without gap or overlap (half-open bands), and only
    the last may be open-ended."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("Invalid tiers", field=field, detail="must be a non-empty array")
    tiers: list[Tier] = []
    for index, item in enumerate(raw):
        tier = _tier(item, f"{field}[{index}]")
        _check_follows(tiers[-1] if tiers else None, tier, field, index)
        tiers.append(tier)
    return tuple(tiers)


def _tier(item: Any, label: str) -> Tier:
    if not isinstance(item, Mapping):
        raise InvalidInput("Invalid type", field=label, detail="must be object")
    start = parse_decimal(item.get("fromQuantity"), f"{label}.fromQuantity")
    end_raw = item.get("toQuantity")
    end = None if end_raw is None else parse_decimal(end_raw, f"{label}.toQuantity")
    if end is not None and end <= start:
        raise InvalidInput(
            "Empty tier", field=f"{label}.toQuantity", detail="must exceed fromQuantity"
        )
    # A tier price is a usage rate (per unitOfMeasure), so it may be finer than a minor unit.
    price = parse_price(item.get("price"), f"{label}.price", extra_digits=RATE_DIGITS)
    return Tier(from_quantity=start, to_quantity=end, price=price)


def _check_follows(previous: Tier | None, tier: Tier, field: str, index: int) -> None:
    label = f"{field}[{index}].fromQuantity"
    if previous is None:
        if tier.from_quantity != 0:
            raise InvalidInput("Invalid tiers", field=label, detail="the first tier starts at 0")
        return
    if previous.to_quantity is None:
        raise InvalidInput(
            "Invalid tiers",
            field=f"{field}[{index - 1}].toQuantity",
            detail="only the last tier may be open-ended",
        )
    if tier.from_quantity != previous.to_quantity:
        gap = "overlaps" if tier.from_quantity < previous.to_quantity else "leaves a gap after"
        raise InvalidInput(
            "Invalid tiers",
            field=label,
            detail=f"{gap} {field}[{index - 1}]: must be {previous.to_quantity}",
        )
