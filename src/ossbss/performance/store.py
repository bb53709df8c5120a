"""The KPI store: raw samples in one bulk insert per batch, rolled up into 5-minute and hourly
buckets by the downsampling job, read back as series at the resolution a range needs.

Why the job rolls up and not every batch: the poller's batch stays one executemany (the hot
path), and the job aggregates whole closed buckets at once. Reads stay complete because the
buckets the job has not reached yet are aggregated from raw on the fly (ADR 0031).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from ossbss.kernel import Clock, Database
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period, ensure_utc
from ossbss.performance import thresholds
from ossbss.performance.models import KpiRollup, KpiSample, RollupProgress
from ossbss.performance.rollups import FIVE_MINUTES, HOUR, Point, bucket, floor_to, single
from ossbss.performance.samples import Sample, SampleSink

SAMPLES: Table = KpiSample.__table__  # type: ignore[assignment]
ROLLUPS: Table = KpiRollup.__table__  # type: ignore[assignment]
RAW = 0  # the "step" of raw samples
MAX_POINTS = 20_000  # a series longer than this asks for a coarser step
# Ranges up to these lengths read the finer source by default.
RAW_RANGE = timedelta(hours=6)
FIVE_MINUTE_RANGE = timedelta(days=8)


@dataclass(frozen=True, slots=True)
class Retention:
    raw_days: int = 7
    five_minute_days: int = 62
    hourly_days: int = 730
    lateness_seconds: int = 120


@dataclass(frozen=True, slots=True)
class Series:
    resource_id: str
    metric: str
    period: Period
    step_seconds: int  # 0: raw samples as they came
    source: str  # raw | 5m | 1h
    points: list[Point] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DownsampleReport:
    five_minute_buckets: int
    hourly_buckets: int
    deleted_raw: int
    deleted_five_minute: int
    deleted_hourly: int


def record_samples(session: Session, *, samples: Sequence[Sample], now: datetime) -> int:
    """Store a batch of samples (one executemany) and evaluate the thresholds on it; returns how
    many were stored. Values that are not finite numbers are dropped: a NaN would poison every
    average it joins."""
    rows = [
        {
            "resource_id": sample.resource_id,
            "metric": sample.metric,
            "at": ensure_utc(sample.at),
            "value": float(sample.value),
        }
        for sample in samples
        if isinstance(sample.value, int | float) and math.isfinite(sample.value)
    ]
    if not rows:
        return 0
    # Core insert: the ORM's bulk path costs a third more per row for nothing we need here.
    session.connection().execute(SAMPLES.insert(), rows)
    kept = [sample for sample in samples if math.isfinite(sample.value)]
    thresholds.evaluate(session, samples=kept, now=now)
    return len(rows)


def recorder(database: Database, clock: Clock) -> SampleSink:
    """The poller's sink: each batch recorded in a transaction of its own."""

    def record(samples: Sequence[Sample]) -> None:
        with database.unit_of_work() as session:
            record_samples(session, samples=samples, now=clock.now())

    return record


# --- downsampling and retention ------------------------------------------------------------


def downsample(
    session: Session, *, now: datetime, retention: Retention | None = None
) -> DownsampleReport:
    """Roll closed buckets up (raw -> 5 minutes -> hours), then drop what retention no longer
    keeps. Restartable: each step remembers how far it has rolled."""
    retention = retention or Retention()
    lateness = timedelta(seconds=retention.lateness_seconds)
    raw_floor = floor_to(now - timedelta(days=retention.raw_days), FIVE_MINUTES)
    five = _roll_five_minutes(session, until=floor_to(now - lateness, FIVE_MINUTES))
    five_done = _progress(session, FIVE_MINUTES)
    hourly = 0
    if five_done is not None:
        hourly = _roll_hours(session, until=floor_to(five_done, HOUR))
    deleted_raw = _delete(session, KpiSample, KpiSample.at < raw_floor)
    deleted_five = _delete(
        session,
        KpiRollup,
        (KpiRollup.step_seconds == FIVE_MINUTES)
        & (KpiRollup.bucket_start < now - timedelta(days=retention.five_minute_days)),
    )
    deleted_hourly = _delete(
        session,
        KpiRollup,
        (KpiRollup.step_seconds == HOUR)
        & (KpiRollup.bucket_start < now - timedelta(days=retention.hourly_days)),
    )
    return DownsampleReport(five, hourly, deleted_raw, deleted_five, deleted_hourly)


def _roll_five_minutes(session: Session, *, until: datetime) -> int:
    start = _progress(session, FIVE_MINUTES)
    if start is None:
        first = session.scalar(select(func.min(KpiSample.at)))
        if first is None:
            return 0
        # everything there is, even older than raw retention (a backfill): rolled, then dropped
        start = floor_to(first, FIVE_MINUTES)
    written = 0
    for window_start, window_end in _windows(start, until, timedelta(hours=1)):
        rows = session.execute(
            select(KpiSample.resource_id, KpiSample.metric, KpiSample.at, KpiSample.value).where(
                KpiSample.at >= window_start, KpiSample.at < window_end
            )
        )
        folded: dict[tuple[str, str, datetime], Point] = {}
        for resource_id, metric, at, value in rows:
            key = (resource_id, metric, floor_to(at, FIVE_MINUTES))
            point = single(key[2], value)
            held = folded.get(key)
            folded[key] = point if held is None else held.merge(point)
        written += _write(session, FIVE_MINUTES, window_start, window_end, folded)
    if until > start:
        _set_progress(session, FIVE_MINUTES, until)
    return written


def _roll_hours(session: Session, *, until: datetime) -> int:
    start = _progress(session, HOUR)
    if start is None:
        first = session.scalar(
            select(func.min(KpiRollup.bucket_start)).where(KpiRollup.step_seconds == FIVE_MINUTES)
        )
        if first is None:
            return 0
        start = floor_to(first, HOUR)
    written = 0
    for window_start, window_end in _windows(start, until, timedelta(days=1)):
        rows = session.scalars(
            select(KpiRollup).where(
                KpiRollup.step_seconds == FIVE_MINUTES,
                KpiRollup.bucket_start >= window_start,
                KpiRollup.bucket_start < window_end,
            )
        )
        folded: dict[tuple[str, str, datetime], Point] = {}
        for row in rows:
            key = (row.resource_id, row.metric, floor_to(row.bucket_start, HOUR))
            point = Point(key[2], row.count, row.total, row.minimum, row.maximum)
            held = folded.get(key)
            folded[key] = point if held is None else held.merge(point)
        written += _write(session, HOUR, window_start, window_end, folded)
    if until > start:
        _set_progress(session, HOUR, until)
    return written


def _windows(
    start: datetime, end: datetime, size: timedelta
) -> Iterator[tuple[datetime, datetime]]:
    while start < end:
        yield start, min(start + size, end)
        start += size


def _write(
    session: Session,
    step: int,
    start: datetime,
    end: datetime,
    folded: dict[tuple[str, str, datetime], Point],
) -> int:
    # Replacing the window makes a re-run after a crash (or a moved-back progress) harmless.
    session.execute(
        delete(KpiRollup).where(
            KpiRollup.step_seconds == step,
            KpiRollup.bucket_start >= start,
            KpiRollup.bucket_start < end,
        )
    )
    if not folded:
        return 0
    session.connection().execute(
        ROLLUPS.insert(),
        [
            {
                "step_seconds": step,
                "resource_id": resource_id,
                "metric": metric,
                "bucket_start": bucket_start,
                "count": point.count,
                "total": point.total,
                "minimum": point.minimum,
                "maximum": point.maximum,
            }
            for (resource_id, metric, bucket_start), point in folded.items()
        ],
    )
    return len(folded)


def _progress(session: Session, step: int) -> datetime | None:
    return session.scalar(
        select(RollupProgress.rolled_until).where(RollupProgress.step_seconds == step)
    )


def _set_progress(session: Session, step: int, until: datetime) -> None:
    row = session.get(RollupProgress, step)
    if row is None:
        session.add(RollupProgress(step_seconds=step, rolled_until=until))
    else:
        row.rolled_until = max(row.rolled_until, until)
    session.flush()


def _delete(session: Session, table: type[KpiSample] | type[KpiRollup], condition: object) -> int:
    result = session.execute(delete(table).where(condition))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- reading -------------------------------------------------------------------------------


def default_step(period: Period) -> int:
    """The step a range reads by default: raw up to 6 hours, 5 minutes up to 8 days, hours
    beyond."""
    assert period.end is not None
    span = period.end - period.start
    if span <= RAW_RANGE:
        return RAW
    if span <= FIVE_MINUTE_RANGE:
        return FIVE_MINUTES
    return HOUR


def series(
    session: Session,
    *,
    resource_id: str,
    metric: str,
    period: Period,
    step: int | None = None,
) -> Series:
    """One metric of one resource over ``period`` (half-open), at ``step`` seconds (None: by
    the range). The source is the coarsest store finer than the step: raw below 5 minutes,
    5-minute rollups below an hour, hourly rollups beyond."""
    if period.end is None:
        raise InvalidInput("A series needs a bounded period", field="end")
    chosen = default_step(period) if step is None else step
    if chosen < 0:
        raise InvalidInput("Invalid step", field="step", detail="seconds, 0 (raw) or more")
    if chosen and (period.end - period.start).total_seconds() / chosen > MAX_POINTS:
        raise InvalidInput(
            "Too many points", field="step", detail=f"at most {MAX_POINTS} points per series"
        )
    if chosen < FIVE_MINUTES:
        points = _raw_points(session, resource_id, metric, period.start, period.end)
        source = "raw"
    else:
        source_step = FIVE_MINUTES if chosen < HOUR else HOUR
        points = _rolled_points(session, resource_id, metric, period, source_step)
        source = "5m" if source_step == FIVE_MINUTES else "1h"
    if chosen:
        points = bucket(points, chosen)
    return Series(resource_id, metric, period, chosen, source, points)


def _raw_points(
    session: Session, resource_id: str, metric: str, start: datetime, end: datetime
) -> list[Point]:
    rows = session.execute(
        select(KpiSample.at, KpiSample.value)
        .where(
            KpiSample.resource_id == resource_id,
            KpiSample.metric == metric,
            KpiSample.at >= start,
            KpiSample.at < end,
        )
        .order_by(KpiSample.at, KpiSample.pk)
    )
    return [single(at, value) for at, value in rows]


def _rolled_points(
    session: Session, resource_id: str, metric: str, period: Period, step: int
) -> list[Point]:
    """Rollups up to where the job has rolled, then the rest folded from raw (or from 5-minute
    rollups for hours) on the fly."""
    assert period.end is not None
    start = floor_to(period.start, step)
    rolled_until = _progress(session, step) or start
    points = [
        Point(row.bucket_start, row.count, row.total, row.minimum, row.maximum)
        for row in session.scalars(
            select(KpiRollup)
            .where(
                KpiRollup.step_seconds == step,
                KpiRollup.resource_id == resource_id,
                KpiRollup.metric == metric,
                KpiRollup.bucket_start >= start,
                KpiRollup.bucket_start < min(period.end, rolled_until),
            )
            .order_by(KpiRollup.bucket_start)
        )
    ]
    rest_start = max(start, rolled_until)
    if rest_start < period.end:
        if step == HOUR:
            finer = _rolled_points(
                session, resource_id, metric, Period(rest_start, period.end), FIVE_MINUTES
            )
        else:
            finer = _raw_points(session, resource_id, metric, rest_start, period.end)
        points.extend(bucket(finer, step))
    return points


def latest_values(
    session: Session, *, resource_ids: Sequence[str], metric: str, since: datetime
) -> dict[str, float]:
    """Resource id -> the last raw value of ``metric`` sampled at or after ``since`` (a port's
    current oper status); resources without a recent sample are left out. One query."""
    if not resource_ids:
        return {}
    newest = (
        select(KpiSample.resource_id, func.max(KpiSample.at).label("at"))
        .where(
            KpiSample.resource_id.in_(list(resource_ids)),
            KpiSample.metric == metric,
            KpiSample.at >= since,
        )
        .group_by(KpiSample.resource_id)
        .subquery()
    )
    rows = session.execute(
        select(KpiSample.resource_id, KpiSample.value)
        .join(
            newest,
            (KpiSample.resource_id == newest.c.resource_id) & (KpiSample.at == newest.c.at),
        )
        .where(KpiSample.metric == metric)
    )
    return {str(resource_id): float(value) for resource_id, value in rows}
