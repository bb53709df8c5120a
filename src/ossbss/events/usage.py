"""Events usage publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ossbss.kernel import Event


@dataclass(frozen=True, kw_only=True)
class UsageIngested(Event):
    """A batch of usage went through ingestion (one event per batch, not per record)."""

    topic = "usage.usage-ingested"

    source: str
    accepted: int
    duplicates: int
    suspended: int
    rejected: int
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class SubscriberRecycled(Event):
    """A subscriber identity appeared and its records waiting in suspense were guided."""

    topic = "usage.subscriber-recycled"

    identifier: str
    product_id: str
    recycled: int
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class CdrFileProcessed(Event):
    topic = "usage.cdr-file-processed"

    name: str
    sha256: str
    accepted: int
    duplicates: int
    suspended: int
    rejected: int
    occurred_at: datetime
