"""Gapless bill numbers: one counter row per series and year ("INV-2026"), locked by the
transaction that takes numbers and advanced in it, so a rolled-back or killed transaction
gives its numbers back and two processes never print the same one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ossbss.kernel.db import Base

INVOICE = "INV"
DIGITS = 6


class BillNumberSeries(Base):
    """The last number given in a series (``INV-2026``): the next one is ``last + 1``."""

    __tablename__ = "billing_bill_number_series"

    series: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_number: Mapped[int] = mapped_column(BigInteger, default=0)


def series_name(prefix: str, year: int) -> str:
    return f"{prefix}-{year:04d}"


def format_bill_no(series: str, number: int) -> str:
    """``INV-2026-000001``; more than a million bills a year simply widen the number."""
    return f"{series}-{number:0{DIGITS}d}"


def _locked(session: Session, series: str) -> BillNumberSeries | None:
    return session.scalars(
        select(BillNumberSeries).where(BillNumberSeries.series == series).with_for_update()
    ).one_or_none()


def next_bill_numbers(
    session: Session, *, count: int, issued_at: datetime, prefix: str = INVOICE
) -> list[str]:
    """``count`` consecutive numbers of the series of ``issued_at``'s year, in order. The
    counter row stays locked until the caller's transaction ends: use the numbers in it."""
    if count <= 0:
        return []
    series = series_name(prefix, issued_at.year)
    row = _locked(session, series)
    if row is None:
        try:
            with session.begin_nested():  # two first-of-the-year callers: one insert wins
                session.execute(insert(BillNumberSeries).values(series=series, last_number=0))
        except IntegrityError:
            pass
        row = _locked(session, series)
        assert row is not None
    first = row.last_number + 1
    row.last_number += count
    session.flush()
    return [format_bill_no(series, number) for number in range(first, first + count)]
