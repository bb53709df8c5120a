"""Availability arithmetic over half-open intervals, pure: outages clipped to a period,
overlaps merged (two alarms over the same hour are one hour down), the share of time up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from fractions import Fraction

Interval = tuple[datetime, datetime]  # [start, end)
PPM = 1_000_000


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Non-empty intervals, sorted, with overlapping or touching ones joined."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip(intervals: Iterable[Interval], period: Interval) -> list[Interval]:
    start, end = period
    return [(max(s, start), min(e, end)) for s, e in intervals if s < end and e > start]


def downtime(intervals: Iterable[Interval], period: Interval) -> timedelta:
    """Time inside ``period`` covered by at least one interval."""
    return sum((e - s for s, e in merge(clip(intervals, period))), timedelta())


def availability(intervals: Iterable[Interval], period: Interval) -> Fraction:
    """The exact share of ``period`` not covered by an interval (1 for an empty period)."""
    total = period[1] - period[0]
    if total <= timedelta():
        return Fraction(1)
    down = downtime(intervals, period)
    return 1 - Fraction(_microseconds(down), _microseconds(total))


def to_ppm(share: Fraction) -> int:
    """Parts per million, rounded down: a figure shown as meeting a target really does."""
    return int(share * PPM)  # int() truncates; the share is never negative


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
