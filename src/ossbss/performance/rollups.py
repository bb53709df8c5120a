"""Buckets of a time series, pure: flooring instants to a step, folding values into
min/avg/max/count, merging buckets into a coarser step. No session, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

FIVE_MINUTES = 300
HOUR = 3600
DAY = 86400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def floor_to(instant: datetime, step_seconds: int) -> datetime:
    """The start of the ``step_seconds`` bucket holding ``instant`` (buckets aligned on the
    Unix epoch, so hours start on the hour and days at midnight UTC)."""
    seconds = int((instant - EPOCH).total_seconds() // step_seconds) * step_seconds
    return EPOCH + timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class Point:
    """One bucket: ``count`` values from ``start`` for ``step`` seconds."""

    start: datetime
    count: int
    total: float
    minimum: float
    maximum: float

    @property
    def average(self) -> float:
        return self.total / self.count

    def merge(self, other: Point) -> Point:
        return Point(
            start=self.start,
            count=self.count + other.count,
            total=self.total + other.total,
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
        )


def single(at: datetime, value: float) -> Point:
    return Point(start=at, count=1, total=value, minimum=value, maximum=value)


def bucket(points: Iterable[Point], step_seconds: int) -> list[Point]:
    """``points`` folded into ``step_seconds`` buckets, in time order."""
    found: dict[datetime, Point] = {}
    for point in points:
        start = floor_to(point.start, step_seconds)
        moved = Point(start, point.count, point.total, point.minimum, point.maximum)
        held = found.get(start)
        found[start] = moved if held is None else held.merge(moved)
    return [found[start] for start in sorted(found)]
