"""What the collector hands its records to: ``usage.ingest`` or anything of its shape (tests
and benchmarks pass their own)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from ossbss.usage.domain import UsageInput

__all__ = ["UsageInput", "UsageSink"]


class UsageSink(Protocol):
    """Takes normalised records in the caller's transaction (``usage.ingest``'s shape).

    It must skip a record whose ``record_key`` it already holds: the collector relies on that
    for a packet replayed after a crash between the NAS's send and our state row."""

    def __call__(
        self, session: Session, *, records: Sequence[UsageInput], now: datetime
    ) -> object: ...
