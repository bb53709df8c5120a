"""PROVISIONAL: prices online usage from the catalog's usage prices until the rating model
(another branch) lands; the lead replaces this module with the real rater behind ``Pricer``.

What it understands of a usage productOfferingPrice: ``price`` per ``unitOfMeasure``
(amount and units, MB binary = 2^20 bytes, min = 60 s), ``includedQuantity`` (the allowance
of a billing period), and two extensions read defensively: ``rollover: {maxQuantity}`` and
``fairUsagePolicy`` ("charge", "throttle", "block"). Tiers, bands and zones are ignored here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy.orm import Session

from ossbss import catalog
from ossbss.charging.domain import to_base_units, unit_size
from ossbss.charging.ports import Allowance, Subscriber
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.money import Money, minor_unit_exponent
from ossbss.tmf import get_resource

POLICIES = ("charge", "throttle", "block")
# Prices change rarely and are read on every online request: keep what was read this long.
CACHE_SECONDS = 5.0
# What a zero price "buys": plenty, but a finite integer the database can hold.
FREE_UNITS = 2**50


@dataclass(frozen=True, slots=True)
class _UsagePrice:
    kind: str
    currency: str
    # minor units per base unit, exact (e.g. 0.01 EUR per MB -> 1 / 1048576 minor per byte)
    minor_per_unit: Decimal | None
    allowance: Allowance | None


class CatalogPricer:
    def __init__(self, cache_seconds: float = CACHE_SECONDS) -> None:
        self._cache: dict[str, tuple[float, dict[str, _UsagePrice]]] = {}
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()

    def allowance(
        self, session: Session, *, subscriber: Subscriber, kind: str, at: datetime
    ) -> Allowance | None:
        price = self._prices(session, subscriber.offering_id, at).get(kind)
        return price.allowance if price else None

    def cost(
        self,
        session: Session,
        *,
        subscriber: Subscriber,
        kind: str,
        quantity: int,
        at: datetime,
        used_before: int,
    ) -> Money | None:
        price = self._prices(session, subscriber.offering_id, at).get(kind)
        if price is None or price.minor_per_unit is None:
            return None
        minor = (price.minor_per_unit * quantity).to_integral_value(rounding=ROUND_CEILING)
        return Money(price.currency, int(minor))

    def units_for(
        self,
        session: Session,
        *,
        subscriber: Subscriber,
        kind: str,
        money: Money,
        at: datetime,
        used_before: int,
    ) -> int:
        price = self._prices(session, subscriber.offering_id, at).get(kind)
        if price is None or price.minor_per_unit is None or money.minor <= 0:
            return 0
        if money.currency != price.currency:
            return 0
        if price.minor_per_unit == 0:
            return FREE_UNITS
        units = Decimal(money.minor) / price.minor_per_unit
        return int(units.to_integral_value(rounding=ROUND_FLOOR))

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def _prices(self, session: Session, offering_id: str, at: datetime) -> dict[str, _UsagePrice]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(offering_id)
        if cached and now - cached[0] < self._cache_seconds:
            return cached[1]
        prices: dict[str, _UsagePrice] = {}
        for offered in catalog.prices_for_offering(session, offering_id=offering_id, at=at):
            if (offered.price_type or "").lower() != "usage" or not offered.unit_of_measure:
                continue
            usage = _read(session, offered)
            if usage is not None:
                prices.setdefault(usage.kind, usage)
        with self._lock:
            self._cache[offering_id] = (now, prices)
        return prices


def _read(session: Session, offered: catalog.OfferingPrice) -> _UsagePrice | None:
    assert offered.unit_of_measure is not None
    try:
        kind, size = unit_size(offered.unit_of_measure)
    except InvalidInput:
        return None
    per_units = offered.unit_amount or Decimal(1)
    minor_per_unit = None
    currency = ""
    amount = offered.amount or (offered.tiers[0].price if offered.tiers else None)
    money = (amount.duty_free or amount.tax_included) if amount else None
    if money is not None:
        minor = money.to_decimal().scaleb(minor_unit_exponent(money.currency))
        minor_per_unit = minor / (per_units * size)
        currency = money.currency
    allowance = None
    if offered.included_quantity is not None:
        document = get_resource(
            session, resource=catalog.PRODUCT_OFFERING_PRICE, resource_id=offered.id
        )
        _, included = to_base_units(offered.included_quantity, offered.unit_of_measure)
        allowance = Allowance(
            kind=kind,
            quantity=included,
            rollover=isinstance(document.get("rollover"), dict),
            rollover_max=_rollover_max(document, offered.unit_of_measure),
            policy=_policy(document),
            price_id=offered.id,
        )
    return _UsagePrice(
        kind=kind, currency=currency, minor_per_unit=minor_per_unit, allowance=allowance
    )


def _rollover_max(document: dict[str, Any], default_units: str) -> int | None:
    rollover = document.get("rollover")
    if not isinstance(rollover, dict):
        return None
    maximum = rollover.get("maxQuantity")
    try:
        if isinstance(maximum, dict):
            units = str(maximum.get("units") or default_units)
            return to_base_units(Decimal(str(maximum.get("amount", 0))), units)[1]
        if isinstance(maximum, int | float) and not isinstance(maximum, bool):
            return to_base_units(Decimal(str(maximum)), default_units)[1]
    except (InvalidInput, ArithmeticError):
        return None
    return None  # no readable cap: everything unused carries over


def _policy(document: dict[str, Any]) -> str:
    for name in ("fairUsagePolicy", "policy"):
        value = document.get(name)
        if isinstance(value, dict):
            value = value.get("action") or value.get("name")
        if isinstance(value, str) and value.strip().lower() in POLICIES:
            return value.strip().lower()
    return "charge"
