"""Pure payment rules: allocation to bills and aging buckets (no session, no clock)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Due:
    """What allocation needs of an open bill."""

    bill_id: str
    remaining_minor: int


def allocate(
    amount_minor: int,
    bills: Sequence[Due],
    *,
    preferred: Sequence[tuple[str, int | None]] = (),
) -> tuple[list[tuple[str, int]], int]:
    """Split a payment over bills: first the ``preferred`` ones (the payer named them; an
    amount caps what goes to that bill), then the others in the order given (oldest due
    first). Returns (bill id, amount) pairs and what is left over (kept as credit)."""
    remaining = {bill.bill_id: bill.remaining_minor for bill in bills}
    left = amount_minor
    parts: dict[str, int] = {}

    def take(bill_id: str, cap: int | None) -> None:
        nonlocal left
        due = remaining.get(bill_id, 0)
        amount = min(left, due, cap if cap is not None else due)
        if amount > 0:
            parts[bill_id] = parts.get(bill_id, 0) + amount
            remaining[bill_id] = due - amount
            left -= amount

    for bill_id, cap in preferred:
        take(bill_id, cap)
    for bill in bills:
        take(bill.bill_id, None)
    return list(parts.items()), left


def take_back(
    amount_minor: int, unallocated_minor: int, allocations: Sequence[tuple[str, int]]
) -> tuple[int, list[tuple[str, int]]]:
    """Where a refund of a payment comes from: its unallocated credit first, then its bills,
    the last allocated first. Returns (from credit, [(bill id, amount)])."""
    from_credit = min(amount_minor, max(unallocated_minor, 0))
    left = amount_minor - from_credit
    from_bills: list[tuple[str, int]] = []
    for bill_id, allocated in reversed(allocations):
        if left <= 0:
            break
        amount = min(left, allocated)
        if amount > 0:
            from_bills.append((bill_id, amount))
            left -= amount
    return from_credit, from_bills


BUCKETS = ("current", "0-30", "31-60", "61-90", "90+")


def aging_bucket(due: datetime, as_of: datetime) -> str:
    """The bucket of an amount due at ``due``: current until then, then by whole days past."""
    if as_of < due:
        return "current"
    days = (as_of - due).days
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


@dataclass(frozen=True, slots=True)
class AgingBuckets:
    """An account's open bills by age, per currency (minor units), and its ledger balance."""

    billing_account_id: str
    buckets: Mapping[str, Mapping[str, int]]  # currency -> bucket -> remaining
    balance: Mapping[str, int] = field(default_factory=dict)  # currency -> ledger balance

    def total(self, currency: str) -> int:
        return sum(self.buckets.get(currency, {}).values())


def empty_buckets() -> dict[str, int]:
    return dict.fromkeys(BUCKETS, 0)
