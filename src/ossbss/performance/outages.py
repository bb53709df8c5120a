"""Service outages as assurance reports them (ServiceOutageStarted/Ended), and the
availability of a service over a period measured from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ossbss.events.assurance import ServiceOutageEnded, ServiceOutageStarted
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period
from ossbss.performance import intervals
from ossbss.performance.models import ServiceOutage


def outage_started(session: Session, event: ServiceOutageStarted) -> None:
    """Record the outage once (a redelivered start changes nothing; a start arriving after its
    end completes the row the end left)."""
    row = _row(session, event.alarm_id, event.service_id)
    if row is not None and row.started_at <= event.started_at:
        return
    if row is None:
        row = ServiceOutage(alarm_id=event.alarm_id, service_id=event.service_id, ended_at=None)
        session.add(row)
    row.product_ids = list(event.product_ids)
    row.customer_id = event.customer_id
    row.planned = event.planned
    row.started_at = event.started_at
    if row.ended_at is not None:
        row.ended_at = max(row.ended_at, row.started_at)
    session.flush()


def outage_ended(session: Session, event: ServiceOutageEnded) -> None:
    """Close the outage of that alarm and service. An end that overtook its start leaves a
    row ending (and, until the start arrives, starting) then."""
    row = _row(session, event.alarm_id, event.service_id)
    if row is None:
        session.add(
            ServiceOutage(
                alarm_id=event.alarm_id,
                service_id=event.service_id,
                product_ids=[],
                customer_id=None,
                planned=False,
                started_at=event.ended_at,
                ended_at=event.ended_at,
            )
        )
    elif row.ended_at is None:
        row.ended_at = max(event.ended_at, row.started_at)
    session.flush()


def _row(session: Session, alarm_id: str, service_id: str) -> ServiceOutage | None:
    return session.scalar(
        select(ServiceOutage).where(
            ServiceOutage.alarm_id == alarm_id, ServiceOutage.service_id == service_id
        )
    )


@dataclass(frozen=True, slots=True)
class Outage:
    service_id: str
    product_ids: tuple[str, ...]
    customer_id: str | None
    planned: bool
    started_at: datetime
    ended_at: datetime | None


def outages_in(
    session: Session, *, period: Period, service_ids: Sequence[str] | None = None
) -> list[Outage]:
    """Outages overlapping ``period`` (of some services, or all), oldest first."""
    assert period.end is not None
    query = select(ServiceOutage).where(
        ServiceOutage.started_at < period.end,
        or_(ServiceOutage.ended_at.is_(None), ServiceOutage.ended_at > period.start),
    )
    if service_ids is not None:
        query = query.where(ServiceOutage.service_id.in_(list(service_ids)))
    return [
        Outage(
            service_id=row.service_id,
            product_ids=tuple(str(p) for p in row.product_ids or ()),
            customer_id=row.customer_id,
            planned=row.planned,
            started_at=row.started_at,
            ended_at=row.ended_at,
        )
        for row in session.scalars(query.order_by(ServiceOutage.started_at, ServiceOutage.pk))
    ]


def spans(
    outages: Sequence[Outage], *, end: datetime, include_planned: bool
) -> list[intervals.Interval]:
    """The outages as intervals; one still open runs to ``end``."""
    return [
        (outage.started_at, outage.ended_at or end)
        for outage in outages
        if include_planned or not outage.planned
    ]


@dataclass(frozen=True, slots=True)
class Availability:
    service_id: str
    period: Period  # as measured (ends at ``now`` when the period is not over)
    availability_ppm: int
    downtime_seconds: float
    outages: int
    planned_outages: int

    @property
    def percent(self) -> float:
        return self.availability_ppm / 10_000


def availability(
    session: Session,
    *,
    service_id: str,
    period: Period,
    now: datetime | None = None,
    include_planned: bool = False,
) -> Availability:
    """The service's availability over ``period`` (half-open; a period not over yet is measured
    up to ``now``). Planned outages (maintenance) are excluded unless ``include_planned``;
    overlapping outages count once."""
    if period.end is None:
        raise InvalidInput("Availability needs a bounded period", field="end")
    end = min(period.end, now) if now is not None else period.end
    end = max(end, period.start)
    measured = Period(period.start, end)
    found = (
        outages_in(session, period=measured, service_ids=[service_id]) if end > period.start else []
    )
    counted = spans(found, end=end, include_planned=include_planned)
    share = intervals.availability(counted, (period.start, end))
    return Availability(
        service_id=service_id,
        period=measured,
        availability_ppm=intervals.to_ppm(share),
        downtime_seconds=intervals.downtime(counted, (period.start, end)).total_seconds(),
        outages=sum(1 for outage in found if include_planned or not outage.planned),
        planned_outages=sum(1 for outage in found if outage.planned),
    )
