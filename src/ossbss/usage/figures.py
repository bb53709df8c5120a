"""Read-only usage figures for reporting and revenue assurance: records of a period counted
and summed by status, the quarantine count, and the rated records no bill has taken yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.kernel.time import Period
from ossbss.usage import domain
from ossbss.usage.models import QuarantinedRecord
from ossbss.usage.models import UsageRecord as R

SUSPENSE = "suspense"  # a received record waiting with a reason (unknown subscriber)


@dataclass(frozen=True, slots=True)
class UsageFigure:
    """Records that started in the period, of one status (``suspense`` split from
    ``received``) and currency; ``amount`` at ``scale`` digits (0 when unrated)."""

    status: str
    currency: str | None
    scale: int
    records: int
    amount: int


@dataclass(frozen=True, slots=True)
class UnbilledRecord:
    """A rated (or re-rated) record no bill has taken yet."""

    id: str
    billing_account_id: str | None
    product_id: str | None
    offering_id: str | None
    started_at: datetime
    rated_at: datetime | None
    currency: str | None
    scale: int
    amount: int


def _started_in(period: Period) -> list[object]:
    conditions: list[object] = [R.started_at >= period.start]
    if period.end is not None:
        conditions.append(R.started_at < period.end)
    return conditions


def usage_figures(session: Session, *, period: Period) -> list[UsageFigure]:
    """One GROUP BY over the period's records (plain columns: PostgreSQL groups by them
    whatever the parameters)."""
    waiting = R.reason.is_not(None)
    query = (
        select(
            R.status,
            waiting,
            R.currency,
            R.scale,
            func.count(),
            func.coalesce(func.sum(R.amount), 0),
        )
        .where(*_started_in(period))  # type: ignore[arg-type]
        .group_by(R.status, waiting, R.currency, R.scale)
    )
    sums: dict[tuple[str, str | None, int], list[int]] = {}
    for status, has_reason, currency, scale, records, amount in session.execute(query):
        shown = SUSPENSE if status == domain.RECEIVED and has_reason else str(status)
        found = sums.setdefault((shown, currency, int(scale or 0)), [0, 0])
        found[0] += int(records)
        found[1] += int(amount or 0)
    return [
        UsageFigure(status, currency, scale, records, amount)
        for (status, currency, scale), (records, amount) in sums.items()
    ]


def quarantined(session: Session, *, period: Period) -> int:
    """Input quarantined during the period (it never became a record, so it has no start)."""
    query = select(func.count()).select_from(QuarantinedRecord)
    query = query.where(QuarantinedRecord.at >= period.start)
    if period.end is not None:
        query = query.where(QuarantinedRecord.at < period.end)
    return int(session.scalar(query) or 0)


def unbilled_rated(session: Session, *, period: Period) -> list[UnbilledRecord]:
    """Rated or re-rated records of the period not yet billed, by account then start."""
    query = (
        select(
            R.id,
            R.billing_account_id,
            R.product_id,
            R.offering_id,
            R.started_at,
            R.rated_at,
            R.currency,
            func.coalesce(R.scale, 0),
            func.coalesce(R.amount, 0),
        )
        .where(R.status.in_((domain.RATED, domain.RERATED)), *_started_in(period))  # type: ignore[arg-type]
        .order_by(R.billing_account_id, R.started_at, R.pk)
    )
    return [
        UnbilledRecord(*row[:7], scale=int(row[7]), amount=int(row[8]))
        for row in session.execute(query)
    ]
