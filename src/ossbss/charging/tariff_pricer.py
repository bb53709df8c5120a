"""Prices online usage with the rating model (``charging.rating``) on the catalog's usage
tariffs, so online grants and offline rating agree: increments, tiers, time bands, rates
finer than a cent. The allowance (``includedQuantity``, ``rollover``, ``fairUsage``) becomes
charging's allowance bucket; prices here cover what lies beyond it.

Limits: online requests carry no destination in our Nchf subset, so a zoned tariff cannot be
priced online (no money grant; its allowance still applies). Graduated tiers continue over
the period from what the allowance bucket counted beyond the allowance (``beyond_used``), as
the rating run's do; a tariff with no allowance has no bucket, so its tiers start afresh at
each request.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import catalog
from ossbss.charging import domain, rating
from ossbss.charging.ports import Allowance, Subscriber
from ossbss.kernel.money import Money, minor_unit_exponent

CACHE_SECONDS = 5.0


class TariffPricer:
    def __init__(self, cache_seconds: float = CACHE_SECONDS) -> None:
        self._cache: dict[str, tuple[float, list[catalog.Tariff]]] = {}
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()

    def allowance(
        self, session: Session, *, subscriber: Subscriber, kind: str, at: datetime
    ) -> Allowance | None:
        tariff = self._tariff(session, subscriber, kind, at)
        if tariff is None or not tariff.included:
            return None
        fair = tariff.fair_usage
        return Allowance(
            kind=kind,
            quantity=tariff.included,
            rollover=tariff.rollover_max is not None,
            rollover_max=tariff.rollover_max,
            policy=fair.policy if fair else "charge",
            price_id=tariff.price_id,
            throttle_down_kbps=fair.throttle_down_kbps if fair else None,
            throttle_up_kbps=fair.throttle_up_kbps if fair else None,
        )

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
        tariff = self._tariff(session, subscriber, kind, at)
        if tariff is None:
            return None
        rated = rating.rate_one(tariff, _record(kind, quantity, at), tariff.included + used_before)
        if rated.status != rating.RATED:
            return None
        finer = 10 ** (tariff.scale - minor_unit_exponent(tariff.currency))
        return Money(tariff.currency, -(-rated.amount // finer))  # rounded up to a minor unit

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
        tariff = self._tariff(session, subscriber, kind, at)
        if tariff is None or money.currency != tariff.currency or money.minor <= 0:
            return 0
        finer = 10 ** (tariff.scale - minor_unit_exponent(tariff.currency))
        return rating.units_for_amount(
            tariff, money.minor * finer, at=at, used_before=tariff.included + used_before
        )

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def _tariff(
        self, session: Session, subscriber: Subscriber, kind: str, at: datetime
    ) -> catalog.Tariff | None:
        offering_id = subscriber.offering_id
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(offering_id)
        if cached is None or now - cached[0] >= self._cache_seconds:
            tariffs = catalog.usage_tariffs_for_offering(session, offering_id=offering_id)
            cached = (now, tariffs)
            with self._lock:
                self._cache[offering_id] = cached
        return catalog.select_tariff(cached[1], kind, at)


def _record(kind: str, quantity: int, at: datetime) -> rating.UsageRecord:
    if kind == domain.DATA:
        return rating.UsageRecord("online", kind, at, bytes_down=quantity)
    if kind == domain.VOICE:
        return rating.UsageRecord("online", kind, at, duration_seconds=quantity)
    return rating.UsageRecord("online", kind, at, events=quantity)
