"""performance tables: KPI samples as narrow rows, their 5-minute and hourly rollups, thresholds
and their per-resource state, service outages, and the SLA breaches already published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ossbss.kernel.db import Base, JSONDocument, UTCDateTime

_PK = BigInteger().with_variant(Integer, "sqlite")


class KpiSample(Base):
    """One raw value (kept ``performance_raw_days``)."""

    __tablename__ = "performance_sample"
    __table_args__ = (Index("ix_performance_sample_series", "resource_id", "metric", "at"),)

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    value: Mapped[float] = mapped_column(Float)


class KpiRollup(Base):
    """min/avg/max/count of one series over one bucket of ``step_seconds`` (300 or 3600).
    The 5-minute averages are what the 95th percentile reads."""

    __tablename__ = "performance_rollup"
    __table_args__ = (
        UniqueConstraint("step_seconds", "resource_id", "metric", "bucket_start"),
        Index("ix_performance_rollup_age", "step_seconds", "bucket_start"),
    )

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    step_seconds: Mapped[int] = mapped_column(Integer)
    resource_id: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(40))
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)


class RollupProgress(Base):
    """How far the downsampling job has rolled raw samples up, per step: buckets before
    ``rolled_until`` are in performance_rollup; later ones are aggregated from raw on read."""

    __tablename__ = "performance_rollup_progress"

    step_seconds: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rolled_until: Mapped[datetime] = mapped_column(UTCDateTime)


class Threshold(Base):
    """Raise when a metric goes above ``raise_level`` (or below, direction "below") for
    ``for_samples`` consecutive samples; clear when it is back past ``clear_level``.
    Scope: every resource (scope_id None), a device's ports (scope "device"), one resource."""

    __tablename__ = "performance_threshold"
    __table_args__ = (Index("ix_performance_threshold_metric", "metric"),)

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(12))  # all | device | resource
    scope_id: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))  # above | below
    raise_level: Mapped[float] = mapped_column(Float)
    clear_level: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(16))
    for_samples: Mapped[int] = mapped_column(Integer, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ThresholdState(Base):
    """Where one resource stands against one threshold (absent: clear, no streak)."""

    __tablename__ = "performance_threshold_state"
    __table_args__ = (UniqueConstraint("threshold_id", "resource_id"),)

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    threshold_id: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64))
    raised: Mapped[bool] = mapped_column(Boolean, default=False)
    streak: Mapped[int] = mapped_column(Integer, default=0)  # consecutive samples past a level
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ServiceOutage(Base):
    """A service down over ``[started_at, ended_at)`` (ended_at None: still down), recorded from
    assurance's ServiceOutageStarted/Ended (one row per alarm and service)."""

    __tablename__ = "performance_outage"
    __table_args__ = (
        UniqueConstraint("alarm_id", "service_id"),
        Index("ix_performance_outage_service", "service_id", "started_at"),
        Index("ix_performance_outage_span", "started_at", "ended_at"),
    )

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    alarm_id: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(String(64))
    product_ids: Mapped[list[Any]] = mapped_column(JSONDocument)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    planned: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SlaBreach(Base):
    """One SlaBreached published per product and month (what makes evaluate_sla idempotent)."""

    __tablename__ = "performance_sla_breach"
    __table_args__ = (UniqueConstraint("product_id", "period_start"),)

    pk: Mapped[int] = mapped_column(_PK, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    availability_ppm: Mapped[int] = mapped_column(Integer)
    target_ppm: Mapped[int] = mapped_column(Integer)
    credit_percent: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
