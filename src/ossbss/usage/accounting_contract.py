"""TEMPORARY: the usage sink contract, copied until the usage branch lands.

DELETE AT MERGE: ``UsageInput`` and ``ingest`` come from ``ossbss.usage`` (the storage helper's
branch). This module only keeps the collector typed and testable in the meantime; the field
list is the agreed contract, identical to the real one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class UsageInput:
    record_key: str
    kind: str
    subscriber: str
    started_at: datetime
    duration_seconds: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    events: int = 0
    destination: str | None = None
    source: str = "radius"
    source_ref: str | None = None


class UsageSink(Protocol):
    """Where normalised records go, in the caller's transaction (``usage.ingest``'s shape).

    It must skip a record whose ``record_key`` it already holds: the collector relies on that
    for a packet replayed after a crash between the NAS's send and our state row."""

    def __call__(
        self, session: Session, *, records: Sequence[UsageInput], now: datetime
    ) -> object: ...
