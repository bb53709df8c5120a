"""A tiny usage sink for the RADIUS accounting tests until ``usage.ingest`` lands: one row per
record key (a key seen before is skipped, as the real sink does)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Engine, Integer, MetaData, String, delete, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from ossbss.kernel.db import UTCDateTime
from ossbss.usage.accounting_contract import UsageInput


class SinkBase(DeclarativeBase):
    """Not the platform's metadata: the migrations must not see a test table."""

    metadata = MetaData()


class SinkRecord(SinkBase):
    __tablename__ = "test_usage_sink_record"

    record_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(253))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    bytes_up: Mapped[int] = mapped_column(BigInteger)
    bytes_down: Mapped[int] = mapped_column(BigInteger)
    source_ref: Mapped[str | None] = mapped_column(String(400))


def ingest(session: Session, *, records: Sequence[UsageInput], now: datetime) -> int:
    keys = {record.record_key for record in records}
    known = set(
        session.scalars(select(SinkRecord.record_key).where(SinkRecord.record_key.in_(keys)))
    )
    added = 0
    for record in records:
        if record.record_key in known:
            continue
        known.add(record.record_key)
        session.add(
            SinkRecord(
                record_key=record.record_key,
                subscriber=record.subscriber,
                started_at=record.started_at,
                duration_seconds=record.duration_seconds,
                bytes_up=record.bytes_up,
                bytes_down=record.bytes_down,
                source_ref=record.source_ref,
            )
        )
        added += 1
    return added


def create_table(engine: Engine) -> None:
    SinkBase.metadata.create_all(engine)


def empty_table(session: Session) -> None:
    session.execute(delete(SinkRecord))


def records(session: Session) -> list[SinkRecord]:
    return list(session.scalars(select(SinkRecord).order_by(SinkRecord.started_at)))


def totals(session: Session) -> dict[str, tuple[int, int, int]]:
    """Per subscriber: (bytes up, bytes down, seconds) summed over the records."""
    rows = session.execute(
        select(
            SinkRecord.subscriber,
            func.sum(SinkRecord.bytes_up),
            func.sum(SinkRecord.bytes_down),
            func.sum(SinkRecord.duration_seconds),
        ).group_by(SinkRecord.subscriber)
    )
    return {name: (int(up), int(down), int(seconds)) for name, up, down, seconds in rows}
