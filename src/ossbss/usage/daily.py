"""A customer's usage by day (the console's customer page): volume, time and events of the
records that started each day, read through the billing-account index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.usage.models import UsageRecord as R

# A page must stay fast whatever a subscriber's session count: a month of interim updates
# every few minutes stays well below this.
MAX_RECORDS = 50_000


@dataclass(frozen=True, slots=True)
class DailyUsage:
    day: date
    records: int
    bytes_total: int  # up + down
    seconds: int
    events: int


def daily_usage(
    session: Session, *, account_ids: Sequence[str], since: datetime, until: datetime
) -> list[DailyUsage]:
    """Usage of the accounts' records started in [since, until), one row per UTC day that
    has any, oldest first (summed here: a date function is not portable across engines)."""
    if not account_ids:
        return []
    query = (
        select(R.started_at, R.bytes_up, R.bytes_down, R.duration_seconds, R.events)
        .where(
            R.billing_account_id.in_(list(account_ids)),
            R.started_at >= since,
            R.started_at < until,
        )
        .limit(MAX_RECORDS)
    )
    days: dict[date, list[int]] = {}
    for started, up, down, seconds, events in session.execute(query):
        sums = days.setdefault(started.date(), [0, 0, 0, 0])
        sums[0] += 1
        sums[1] += int(up or 0) + int(down or 0)
        sums[2] += int(seconds or 0)
        sums[3] += int(events or 0)
    return [DailyUsage(day, *days[day]) for day in sorted(days)]
