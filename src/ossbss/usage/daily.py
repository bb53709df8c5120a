"""Usage of some billing accounts day by day (a subscriber's usage chart): one GROUP BY over
the accounts' records of a period, by UTC day and kind. Rejected records are left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.kernel.time import Period
from ossbss.usage import domain
from ossbss.usage.models import UsageRecord as R


@dataclass(frozen=True, slots=True)
class DailyUsage:
    day: date
    kind: str  # data, voice, sms (UsageRecord.kind)
    records: int
    bytes_total: int  # up + down
    seconds: int
    events: int


def daily_usage(
    session: Session, *, account_ids: Sequence[str], period: Period
) -> list[DailyUsage]:
    """Per UTC day and kind, what the accounts' records of ``period`` add up to, by day."""
    if not account_ids:
        return []
    if session.get_bind().dialect.name == "postgresql":
        day = func.date(func.timezone("UTC", R.started_at))
    else:  # SQLite keeps naive UTC text
        day = func.date(R.started_at)
    conditions = [
        R.billing_account_id.in_(list(account_ids)),
        R.started_at >= period.start,
        R.status != domain.REJECTED,
    ]
    if period.end is not None:
        conditions.append(R.started_at < period.end)
    query = (
        select(
            day,
            R.kind,
            func.count(),
            func.coalesce(func.sum(R.bytes_up + R.bytes_down), 0),
            func.coalesce(func.sum(R.duration_seconds), 0),
            func.coalesce(func.sum(R.events), 0),
        )
        .where(*conditions)
        .group_by(day, R.kind)
        .order_by(day, R.kind)
    )
    return [
        DailyUsage(
            found if isinstance(found, date) else date.fromisoformat(str(found)),
            str(kind),
            int(records),
            int(volume),
            int(seconds),
            int(events),
        )
        for found, kind, records, volume, seconds, events in session.execute(query)
    ]
