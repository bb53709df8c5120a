"""Usage rules, pure: what a record is, when it is sane, how it reads as a TMF635 document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ossbss.kernel.time import format_datetime

KINDS = frozenset({"data", "voice", "sms"})

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


def problem_at(record: UsageInput, now: datetime) -> tuple[str, str] | None:
    """(the offending field of UsageInput, why), or None when the record is sane."""
    if not record.record_key or len(record.record_key) > 255:
        return "record_key", "record key missing or longer than 255 characters"
    if record.kind not in KINDS:
        return "kind", f"unknown kind '{record.kind}'"
    if not record.subscriber or len(record.subscriber) > 128:
        return "subscriber", "subscriber missing or longer than 128 characters"
    if record.started_at.tzinfo is None:
        return "started_at", "start time without a time zone"
    if record.started_at > now + CLOCK_SKEW:
        return "started_at", "start time in the future"
    for name in ("duration_seconds", "bytes_up", "bytes_down", "events"):
        if getattr(record, name) < 0:
            return name, f"negative {name}"
    if record.duration_seconds > MAX_DURATION.total_seconds():
        return (
            "duration_seconds",
            f"absurd duration_seconds ({record.duration_seconds} > {MAX_DURATION.days} days)",
        )
    for name in ("bytes_up", "bytes_down"):
        if getattr(record, name) > MAX_BYTES:
            return name, f"absurd {name} (more than 10 TB in one record)"
    if record.events > MAX_EVENTS:
        return "events", "absurd event count"
    if record.destination is not None and len(record.destination) > 64:
        return "destination", "destination longer than 64 characters"
    return None


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


def document(record: UsageInput, status: str, customer_id: str | None) -> dict[str, Any]:
    """The TMF635 body of a new record (id and href are derived, never stored)."""
    characteristics: list[dict[str, Any]] = [
        {"name": "recordKey", "valueType": "string", "value": record.record_key},
        {"name": "subscriber", "valueType": "string", "value": record.subscriber},
    ]
    if record.kind == "voice" or record.duration_seconds:
        characteristics.append(
            {"name": "durationSeconds", "valueType": "integer", "value": record.duration_seconds}
        )
    if record.kind == "data":
        characteristics.append(
            {"name": "bytesUp", "valueType": "integer", "value": record.bytes_up}
        )
        characteristics.append(
            {"name": "bytesDown", "valueType": "integer", "value": record.bytes_down}
        )
    if record.kind == "sms" or record.events:
        characteristics.append({"name": "events", "valueType": "integer", "value": record.events})
    if record.destination:
        characteristics.append(
            {"name": "destination", "valueType": "string", "value": record.destination}
        )
    characteristics.append({"name": "source", "valueType": "string", "value": record.source})
    if record.source_ref is not None:
        characteristics.append(
            {"name": "sourceRef", "valueType": "string", "value": record.source_ref}
        )
    body: dict[str, Any] = {
        "@type": "Usage",
        "usageDate": format_datetime(record.started_at),
        "usageType": record.kind,
        "status": status,
        "description": description(record.kind, record.subscriber, status),
        "usageSpecification": spec_ref(record.kind),
        "usageCharacteristic": characteristics,
    }
    parties = related_party(customer_id)
    if parties:
        body["relatedParty"] = parties
    return body


def description(kind: str, subscriber: str, status: str) -> str:
    if status == RECEIVED:
        return f"{kind} usage of {subscriber}, in suspense: {UNKNOWN_SUBSCRIBER}"
    return f"{kind} usage of {subscriber}"


def spec_ref(kind: str) -> dict[str, str]:
    """The seeded usage specification of a kind: its id is the kind itself."""
    return {"id": kind, "name": kind, "@referredType": "UsageSpecification"}
