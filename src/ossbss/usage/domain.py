"""Usage rules, pure: what a record is, when it is sane, how it reads as a TMF635 document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

KINDS = frozenset({"data", "voice", "sms"})
SOURCES = frozenset({"radius", "cdr", "api"})

# TMF635 UsageStatusType, and what each means here (docs/rooms/usage.md).
RECEIVED = "received"  # stored; with a reason it waits in suspense (unknown subscriber)
GUIDED = "guided"  # resolved to a product and account, ready to rate
RATED = "rated"
RERATED = "rerated"
REJECTED = "rejected"  # malformed, or no price: with a reason
BILLED = "billed"
RECYCLED = "recycled"  # not stored: recycled records go on to guided, recycled_at says so
STATUSES = frozenset({RECEIVED, GUIDED, RATED, RERATED, REJECTED, BILLED, RECYCLED})
UNKNOWN_SUBSCRIBER = "unknown subscriber"

# Beyond these a record is a fault of the collector, not usage (a month-long call, a petabyte).
MAX_DURATION = timedelta(days=31)
MAX_BYTES = 10**13  # 10 TB in one record
MAX_EVENTS = 10**6
# Network clocks drift: a start a few minutes ahead of ours is still believable.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class UsageInput:
    """One normalised record from any source."""

    record_key: str
    kind: str
    subscriber: str
    started_at: datetime
    duration_seconds: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    events: int = 0
    destination: str | None = None
    source: str = "api"
    source_ref: str | None = None


@dataclass(frozen=True, slots=True)
class IngestReport:
    accepted: int  # stored and guided to a product
    duplicates: int  # record key seen before: skipped
    suspended: int  # stored in suspense (unknown subscriber)
    rejected: int  # quarantined with a reason

    @property
    def total(self) -> int:
        return self.accepted + self.duplicates + self.suspended + self.rejected

    def __add__(self, other: IngestReport) -> IngestReport:
        return IngestReport(
            accepted=self.accepted + other.accepted,
            duplicates=self.duplicates + other.duplicates,
            suspended=self.suspended + other.suspended,
            rejected=self.rejected + other.rejected,
        )


NOTHING = IngestReport(accepted=0, duplicates=0, suspended=0, rejected=0)


@dataclass(frozen=True, slots=True)
class Subscriber:
    identifier: str
    product_id: str
    billing_account_id: str
    offering_id: str
    customer_id: str | None


@dataclass(frozen=True, slots=True)
class Identity:
    """A subscriber over its validity period ``[valid_from, valid_to)``."""

    subscriber: Subscriber
    valid_from: datetime
    valid_to: datetime | None

    def covers(self, instant: datetime) -> bool:
        return self.valid_from <= instant and (self.valid_to is None or instant < self.valid_to)


def resolve(identities: Sequence[Identity], instant: datetime) -> Subscriber | None:
    """The subscriber identity valid when the usage started (the latest one, if several)."""
    found = None
    for identity in identities:
        if identity.covers(instant) and (found is None or identity.valid_from > found.valid_from):
            found = identity
    return found.subscriber if found else None


def related_party(customer_id: str | None) -> list[dict[str, str]]:
    if customer_id is None:
        return []
    return [{"id": customer_id, "role": "customer", "@referredType": "Customer"}]


def decimal_text(amount: int, scale: int) -> str:
    """An integer amount at ``scale`` digits as exact decimal text ("-1.2345")."""
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**scale)
    return f"{sign}{whole}.{fraction:0{scale}d}" if scale else f"{sign}{whole}"
