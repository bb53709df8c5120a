"""The monthly SLA: each product's availability (from its services' outages) against the
target its offering promises, the credit a shortfall earns (policy: sla.toml), and SlaBreached
published once per product and month for billing to credit."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import catalog, product_inventory
from ossbss.events.performance import SlaBreached
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.outbox import publish
from ossbss.kernel.time import Period
from ossbss.performance import intervals
from ossbss.performance.models import SlaBreach
from ossbss.performance.outages import Outage, outages_in, spans

DEFAULT_POLICY = Path(__file__).with_name("sla.toml")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --- policy (pure) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditTier:
    below_ppm: int  # availability under this earns ...
    percent: int  # ... this percent of the monthly recurring charge


@dataclass(frozen=True, slots=True)
class Terms:
    target_ppm: int
    credits: tuple[CreditTier, ...]

    def credit_percent(self, availability_ppm: int) -> int:
        """The best tier the availability falls under (0 when it meets the target)."""
        if availability_ppm >= self.target_ppm:
            return 0
        return max((t.percent for t in self.credits if availability_ppm < t.below_ppm), default=0)


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    default: Terms
    by_offering: Mapping[str, Terms]  # offering name -> terms
    exclude_planned: bool = True

    def terms_for(self, offering_name: str | None) -> Terms:
        return self.by_offering.get(offering_name or "", self.default)


def percent_to_ppm(value: Any, *, where: str) -> int:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{where}: {value!r} is not a percentage") from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise ValueError(f"{where}: {value!r} is not 0..100")
    return int(number * 10_000)


def _tiers(raw: Any, where: str) -> tuple[CreditTier, ...]:
    tiers = []
    for index, entry in enumerate(raw or ()):
        percent = entry.get("percent")
        if not isinstance(percent, int) or not 0 <= percent <= 100:
            raise ValueError(f"{where}[{index}].percent: an integer 0..100")
        tiers.append(
            CreditTier(percent_to_ppm(entry.get("below"), where=f"{where}[{index}].below"), percent)
        )
    return tuple(tiers)


def parse_policy(document: Mapping[str, Any]) -> SlaPolicy:
    """The policy a TOML document describes (ValueError naming the bad entry)."""
    default = Terms(
        percent_to_ppm(document.get("target", "99.9"), where="target"),
        _tiers(document.get("credit"), "credit"),
    )
    offerings: dict[str, Terms] = {}
    for index, entry in enumerate(document.get("offering") or ()):
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"offering[{index}].name: the product offering's name")
        offerings[name] = Terms(
            percent_to_ppm(entry.get("target"), where=f"offering[{index}].target"),
            _tiers(entry["credit"], f"offering[{index}].credit")
            if "credit" in entry
            else default.credits,
        )
    return SlaPolicy(default, offerings, bool(document.get("exclude_planned", True)))


_configured: dict[str, Path | None] = {"policy": None}


def configure(*, sla_policy: Path | None = None) -> None:
    """The SLA policy file the API and jobs read (None: the one shipped, sla.toml)."""
    _configured["policy"] = sla_policy


def load_policy(path: Path | None = None) -> SlaPolicy:
    """The policy of ``path``, else of the configured file, else the shipped one."""
    with (path or _configured["policy"] or DEFAULT_POLICY).open("rb") as handle:
        return parse_policy(tomllib.load(handle))


def month_period(month: str) -> Period:
    """``2026-10`` -> [2026-10-01, 2026-11-01) UTC; InvalidInput naming ``month`` otherwise."""
    match = _MONTH.match(month or "")
    if match is None or not 1 <= int(match[2]) <= 12:
        raise InvalidInput("Invalid month", field="month", detail="YYYY-MM")
    year, number = int(match[1]), int(match[2])
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return Period(start, end)


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaLine:
    product_id: str
    product_name: str | None
    offering_name: str | None
    billing_account_id: str | None
    service_ids: tuple[str, ...]  # the services whose outages hurt the product this month
    measured_from: datetime
    measured_to: datetime
    availability_ppm: int
    target_ppm: int
    downtime_seconds: float
    outages: int
    credit_percent: int

    @property
    def breached(self) -> bool:
        return self.availability_ppm < self.target_ppm


@dataclass(frozen=True, slots=True)
class SlaReport:
    month: str
    period: Period
    lines: list[SlaLine]


def sla_report(
    session: Session,
    *,
    month: str,
    now: datetime | None = None,
    policy: SlaPolicy | None = None,
) -> SlaReport:
    """Every product in service during the month, with its availability against its target.
    A product is down while any of its services is; a month not over yet is measured to
    ``now``."""
    policy = policy or load_policy()
    period = month_period(month)
    assert period.end is not None
    end = min(period.end, now) if now is not None else period.end
    by_product: dict[str, list[Outage]] = defaultdict(list)
    if end > period.start:
        for outage in outages_in(session, period=Period(period.start, end)):
            for product_id in outage.product_ids:
                by_product[product_id].append(outage)
    names = _OfferingNames(session)
    lines = []
    for product in product_inventory.products_live_in(session, period=period):
        start = max(period.start, product.started_at)
        stop = min(end, product.terminated_at or end)
        if stop <= start:
            continue
        found = by_product.get(product.id, [])
        counted = spans(found, end=stop, include_planned=not policy.exclude_planned)
        share = intervals.availability(counted, (start, stop))
        offering_name = names.get(product.offering_id)
        terms = policy.terms_for(offering_name)
        ppm = intervals.to_ppm(share)
        lines.append(
            SlaLine(
                product_id=product.id,
                product_name=product.name,
                offering_name=offering_name,
                billing_account_id=product.billing_account_id,
                service_ids=tuple(sorted({o.service_id for o in found})),
                measured_from=start,
                measured_to=stop,
                availability_ppm=ppm,
                target_ppm=terms.target_ppm,
                downtime_seconds=intervals.downtime(counted, (start, stop)).total_seconds(),
                outages=len(counted),
                credit_percent=terms.credit_percent(ppm),
            )
        )
    return SlaReport(month, period, lines)


class _OfferingNames:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._names: dict[str, str | None] = {}

    def get(self, offering_id: str | None) -> str | None:
        if offering_id is None:
            return None
        if offering_id not in self._names:
            try:
                name = catalog.get_offering(self._session, offering_id=offering_id).get("name")
            except NotFound:
                name = None
            self._names[offering_id] = str(name) if name else None
        return self._names[offering_id]


def evaluate_sla(
    session: Session, *, month: str, now: datetime, policy: SlaPolicy | None = None
) -> list[SlaLine]:
    """Publish SlaBreached for each product of a finished month that missed its target and
    earns a credit, once per product and month (a re-run publishes nothing new). Returns the
    lines published now."""
    period = month_period(month)
    assert period.end is not None
    if now < period.end:
        raise InvalidInput("The month is not over", field="month", detail=f"it ends {period.end}")
    report = sla_report(session, month=month, now=now, policy=policy)
    due = [
        line
        for line in report.lines
        if line.breached
        and line.credit_percent > 0
        and line.billing_account_id
        and line.service_ids
    ]
    done = _already_published(session, [line.product_id for line in due], period.start)
    published = []
    for line in due:
        if line.product_id in done:
            continue
        assert line.billing_account_id is not None
        session.add(
            SlaBreach(
                product_id=line.product_id,
                period_start=period.start,
                availability_ppm=line.availability_ppm,
                target_ppm=line.target_ppm,
                credit_percent=line.credit_percent,
                published_at=now,
            )
        )
        publish(
            session,
            SlaBreached(
                product_id=line.product_id,
                service_id=line.service_ids[0],
                billing_account_id=line.billing_account_id,
                period_start=period.start,
                period_end=period.end,
                availability_ppm=line.availability_ppm,
                target_ppm=line.target_ppm,
                credit_percent=line.credit_percent,
                occurred_at=now,
            ),
            now=now,
        )
        published.append(line)
    session.flush()
    return published


def _already_published(session: Session, product_ids: Sequence[str], start: datetime) -> set[str]:
    if not product_ids:
        return set()
    return set(
        session.scalars(
            select(SlaBreach.product_id).where(
                SlaBreach.product_id.in_(list(product_ids)), SlaBreach.period_start == start
            )
        )
    )
