"""Capacity: the 95th percentile of 5-minute averages (the burstable-billing convention: the
top 5 % of five-minute intervals are forgiven), per port or per link (the busiest direction of
either end), and a linear trend of daily 95th percentiles that says when a link crosses a level.

The arithmetic is pure and closed-form (no numpy): nearest-rank percentile, least squares."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from ossbss import inventory
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period
from ossbss.performance.rollups import DAY, FIVE_MINUTES, floor_to
from ossbss.performance.samples import IN_UTILISATION, OUT_UTILISATION
from ossbss.performance.store import series

FORECAST_DAYS = 30
MIN_FORECAST_DAYS = 3


# --- pure ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], rank: float = 95.0) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``rank`` % of values at or
    below it (None without values)."""
    if not values:
        return None
    ordered = sorted(values)
    index = max(math.ceil(rank / 100 * len(ordered)) - 1, 0)
    return ordered[index]


def least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float] | None:
    """(intercept, slope) of the line that best fits the points; None for fewer than two
    distinct xs."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return mean_y - slope * mean_x, slope


def crossing_day(daily: Sequence[tuple[date, float]], *, level: float, today: date) -> date | None:
    """The day the trend of ``daily`` values reaches ``level``: today if the latest value
    already has; None when the trend is flat or falling, or there are too few days."""
    if len(daily) < MIN_FORECAST_DAYS:
        return None
    if daily[-1][1] >= level:
        return today
    origin = daily[0][0]
    fit = least_squares([(d - origin).days for d, _ in daily], [v for _, v in daily])
    if fit is None or fit[1] <= 0:
        return None
    intercept, slope = fit
    at = math.ceil((level - intercept) / slope)
    return max(origin + timedelta(days=at), today)


# --- over the store --------------------------------------------------------------------------


def _averages(session: Session, resource_id: str, metric: str, period: Period) -> list[float]:
    found = series(
        session, resource_id=resource_id, metric=metric, period=period, step=FIVE_MINUTES
    )
    return [point.average for point in found.points]


def percentile_95(
    session: Session, *, resource_id: str, metric: str, period: Period
) -> float | None:
    """The 95th percentile of the resource's 5-minute averages of ``metric`` over ``period``."""
    if period.end is None:
        raise InvalidInput("A percentile needs a bounded period", field="end")
    return percentile(_averages(session, resource_id, metric, period))


@dataclass(frozen=True, slots=True)
class LinkLoad:
    link_id: str
    name: str | None
    port_a: str
    port_b: str
    percentile_95: float | None  # the busiest of either end's in and out
    busiest: tuple[str, str] | None  # (port id, metric) that gave it
    forecast: date | None = None


def link_percentile_95(session: Session, *, link: inventory.LinkEnds, period: Period) -> LinkLoad:
    best: tuple[float, str, str] | None = None
    for port in (link.port_a, link.port_b):
        for metric in (IN_UTILISATION, OUT_UTILISATION):
            value = percentile_95(session, resource_id=port, metric=metric, period=period)
            if value is not None and (best is None or value > best[0]):
                best = (value, port, metric)
    return LinkLoad(
        link_id=link.id,
        name=link.name,
        port_a=link.port_a,
        port_b=link.port_b,
        percentile_95=best[0] if best else None,
        busiest=(best[1], best[2]) if best else None,
    )


def daily_percentiles(
    session: Session, *, resource_id: str, metric: str, now: datetime, days: int = FORECAST_DAYS
) -> list[tuple[date, float]]:
    """The 95th percentile of each of the last ``days`` whole days (days without data left out)."""
    end = floor_to(now, DAY)
    start = end - timedelta(days=days)
    found = series(
        session,
        resource_id=resource_id,
        metric=metric,
        period=Period(start, end),
        step=FIVE_MINUTES,
    )
    by_day: dict[date, list[float]] = {}
    for point in found.points:
        by_day.setdefault(point.start.date(), []).append(point.average)
    daily = []
    for day in sorted(by_day):
        value = percentile(by_day[day])
        if value is not None:
            daily.append((day, value))
    return daily


def forecast_crossing(
    session: Session,
    *,
    resource_id: str,
    metric: str,
    level: float = 80.0,
    now: datetime,
    days: int = FORECAST_DAYS,
) -> date | None:
    """When the linear trend of the last ``days`` daily 95th percentiles reaches ``level``."""
    if not math.isfinite(level):
        raise InvalidInput("Invalid level", field="level", detail="a finite number")
    daily = daily_percentiles(session, resource_id=resource_id, metric=metric, now=now, days=days)
    return crossing_day(daily, level=level, today=now.date())


def link_forecast(
    session: Session, *, link: inventory.LinkEnds, level: float = 80.0, now: datetime
) -> date | None:
    """The earliest crossing of any of the link's four directions."""
    found = [
        forecast_crossing(session, resource_id=port, metric=metric, level=level, now=now)
        for port in (link.port_a, link.port_b)
        for metric in (IN_UTILISATION, OUT_UTILISATION)
    ]
    dated = [day for day in found if day is not None]
    return min(dated) if dated else None


def top_links(
    session: Session, *, period: Period, now: datetime, limit: int = 20, level: float = 80.0
) -> list[LinkLoad]:
    """The links with the highest 95th percentile over ``period``, with their forecasts
    (reads every link's four directions: fine for hundreds of links, a job beyond)."""
    loads = [
        (link, link_percentile_95(session, link=link, period=period))
        for link in inventory.links(session)
    ]
    ranked = sorted(
        (pair for pair in loads if pair[1].percentile_95 is not None),
        key=lambda pair: -(pair[1].percentile_95 or 0.0),
    )[:limit]
    return [
        replace(load, forecast=link_forecast(session, link=link, level=level, now=now))
        for link, load in ranked
    ]
