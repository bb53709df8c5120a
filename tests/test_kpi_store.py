"""The KPI store: raw samples, rollups by the downsampling job, retention, series by range."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ossbss import bootstrap, performance
from ossbss.kernel import FixedClock, InvalidInput, Period
from ossbss.performance.models import KpiRollup, KpiSample
from ossbss.performance.rollups import floor_to

T0 = datetime(2026, 10, 1, tzinfo=UTC)
PORT = "port-1"
METRIC = performance.IN_UTILISATION


def record(
    platform: bootstrap.Platform, values: list[tuple[datetime, float]], *, resource: str = PORT
) -> None:
    with platform.database.unit_of_work() as session:
        performance.record_samples(
            session,
            samples=[performance.Sample(resource, METRIC, at, value) for at, value in values],
            now=values[-1][0],
        )


def minute_series(
    start: datetime, minutes: int, value: float = 10.0
) -> list[tuple[datetime, float]]:
    return [(start + timedelta(minutes=m), value + m % 5) for m in range(minutes)]


def get_series(
    platform: bootstrap.Platform, start: datetime, end: datetime, step: int | None
) -> performance.Series:
    with platform.database.unit_of_work() as session:
        return performance.series(
            session, resource_id=PORT, metric=METRIC, period=Period(start, end), step=step
        )


def test_raw_samples_come_back_in_order_and_non_finite_values_are_dropped(
    platform: bootstrap.Platform,
) -> None:
    with platform.database.unit_of_work() as session:
        stored = performance.record_samples(
            session,
            samples=[
                performance.Sample(PORT, METRIC, T0 + timedelta(minutes=2), 30.0),
                performance.Sample(PORT, METRIC, T0, 10.0),
                performance.Sample(PORT, METRIC, T0 + timedelta(minutes=1), math.nan),
                performance.Sample("other", METRIC, T0, 99.0),
            ],
            now=T0,
        )
    assert stored == 3
    found = get_series(platform, T0, T0 + timedelta(hours=1), None)
    assert found.source == "raw"
    assert found.step_seconds == 0
    assert [(p.start, p.average) for p in found.points] == [
        (T0, 10.0),
        (T0 + timedelta(minutes=2), 30.0),
    ]


def test_five_minute_and_hourly_series_match_whether_or_not_the_job_has_rolled_up(
    platform: bootstrap.Platform,
) -> None:
    record(platform, minute_series(T0, 180))
    before_5m = get_series(platform, T0, T0 + timedelta(hours=3), 300)
    before_1h = get_series(platform, T0, T0 + timedelta(hours=3), 3600)
    with platform.database.unit_of_work() as session:
        report = performance.downsample(session, now=T0 + timedelta(hours=3, minutes=5))
    assert report.five_minute_buckets == 36
    assert report.hourly_buckets == 3
    after_5m = get_series(platform, T0, T0 + timedelta(hours=3), 300)
    after_1h = get_series(platform, T0, T0 + timedelta(hours=3), 3600)
    assert before_5m.points == after_5m.points
    assert before_1h.points == after_1h.points
    first = after_5m.points[0]
    assert (first.count, first.minimum, first.maximum, first.average) == (5, 10.0, 14.0, 12.0)
    assert [p.count for p in after_1h.points] == [60, 60, 60]
    assert after_1h.source == "1h"
    assert after_5m.source == "5m"


def test_the_job_is_restartable_and_rolls_only_closed_buckets(platform: bootstrap.Platform) -> None:
    record(platform, minute_series(T0, 12))  # 10:00 .. 10:11
    with platform.database.unit_of_work() as session:
        first = performance.downsample(session, now=T0 + timedelta(minutes=12))
    # lateness 120 s: only [00:00, 00:10) is closed at 00:12
    assert first.five_minute_buckets == 2
    with platform.database.unit_of_work() as session:
        again = performance.downsample(session, now=T0 + timedelta(minutes=12))
        rows = session.scalar(select(func.count()).select_from(KpiRollup))
    assert again.five_minute_buckets == 0
    assert rows == 2
    # the open bucket still reads, folded from raw
    found = get_series(platform, T0, T0 + timedelta(minutes=15), 300)
    assert [p.count for p in found.points] == [5, 5, 2]


def test_retention_drops_raw_then_rollups_by_age(platform: bootstrap.Platform) -> None:
    record(platform, minute_series(T0, 60))
    retention = performance.Retention(raw_days=1, five_minute_days=3, hourly_days=5)
    with platform.database.unit_of_work() as session:
        performance.downsample(session, now=T0 + timedelta(hours=2), retention=retention)
    with platform.database.unit_of_work() as session:
        report = performance.downsample(session, now=T0 + timedelta(days=2), retention=retention)
    assert report.deleted_raw == 60
    assert get_series(platform, T0, T0 + timedelta(hours=1), 300).points  # 5-minute kept
    with platform.database.unit_of_work() as session:
        report = performance.downsample(session, now=T0 + timedelta(days=4), retention=retention)
    assert report.deleted_five_minute == 12
    hourly = get_series(platform, T0, T0 + timedelta(days=1), 3600)
    assert [p.count for p in hourly.points] == [60]
    with platform.database.unit_of_work() as session:
        report = performance.downsample(session, now=T0 + timedelta(days=6), retention=retention)
        left = session.scalar(select(func.count()).select_from(KpiRollup))
        raw = session.scalar(select(func.count()).select_from(KpiSample))
    assert report.deleted_hourly == 1
    assert (left, raw) == (0, 0)


def test_the_range_picks_the_source_and_too_many_points_name_the_step(
    platform: bootstrap.Platform,
) -> None:
    assert performance.store.default_step(Period(T0, T0 + timedelta(hours=6))) == 0
    assert performance.store.default_step(Period(T0, T0 + timedelta(days=2))) == 300
    assert performance.store.default_step(Period(T0, T0 + timedelta(days=30))) == 3600
    with pytest.raises(InvalidInput) as error:
        get_series(platform, T0, T0 + timedelta(days=365), 60)
    assert error.value.field == "step"
    with pytest.raises(InvalidInput) as error:
        get_series(platform, T0, T0 + timedelta(days=1), -5)
    assert error.value.field == "step"


def test_buckets_are_aligned_on_the_epoch() -> None:
    at = datetime(2026, 10, 1, 10, 7, 31, tzinfo=UTC)
    assert floor_to(at, 300) == datetime(2026, 10, 1, 10, 5, tzinfo=UTC)
    assert floor_to(at, 3600) == datetime(2026, 10, 1, 10, tzinfo=UTC)
    assert floor_to(at, 86400) == datetime(2026, 10, 1, tzinfo=UTC)


def test_the_downsampler_thread_rolls_up_until_stopped(platform: bootstrap.Platform) -> None:
    record(platform, minute_series(T0, 10))
    clock = FixedClock(T0 + timedelta(minutes=30))
    job = performance.Downsampler(platform.database, clock, interval=0.02).start()
    deadline = time.monotonic() + 10
    while job.passes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    job.stop()
    assert job.passes >= 1
    with platform.database.unit_of_work() as session:
        rolled = session.scalar(select(func.count()).select_from(KpiRollup))
    assert rolled == 2


def test_the_pollers_sink_records_each_batch(platform: bootstrap.Platform) -> None:
    sink = performance.recorder(platform.database, FixedClock(T0))
    sink([performance.Sample(PORT, METRIC, T0, 42.0)])
    sink([performance.Sample(PORT, METRIC, T0 + timedelta(minutes=1), 43.0)])
    found = get_series(platform, T0, T0 + timedelta(hours=1), None)
    assert [p.average for p in found.points] == [42.0, 43.0]


def test_a_backfill_older_than_raw_retention_is_rolled_up_before_raw_goes(
    platform: bootstrap.Platform,
) -> None:
    hourly = [(T0 + timedelta(hours=h), float(h % 24)) for h in range(14 * 24)]
    record(platform, hourly)
    now = T0 + timedelta(days=14)
    with platform.database.unit_of_work() as session:
        report = performance.downsample(session, now=now)
    assert report.deleted_raw == 7 * 24  # the raw samples before now - 7 days
    assert report.hourly_buckets == 14 * 24 - 1  # the last hour is not closed yet
    fortnight = get_series(platform, T0, now, 3600)
    assert len(fortnight.points) == 14 * 24
    assert fortnight.source == "1h"
