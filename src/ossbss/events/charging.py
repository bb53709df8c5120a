"""Events charging publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ossbss.kernel import Event


@dataclass(frozen=True, kw_only=True)
class AllowanceThresholdReached(Event):
    """A product used ``percent`` (80 or 100) of an allowance bucket in its billing period;
    published once per bucket (hence period) and threshold. At 100 the ``policy`` applies:
    "throttle" (ordering turns it into a speed change), "block", or "charge" per extra unit."""

    topic = "charging.allowance-threshold-reached"

    product_id: str
    billing_account_id: str
    bucket_id: str | None  # None when offline rating counted it (no bucket)
    kind: str
    percent: int
    policy: str
    period_start: datetime
    period_end: datetime | None
    occurred_at: datetime
    # The rates a "throttle" policy asks for (from the price's fairUsage), else None.
    throttle_down_kbps: int | None = None
    throttle_up_kbps: int | None = None


@dataclass(frozen=True, kw_only=True)
class LowBalance(Event):
    """A prepaid money bucket dropped below the low-balance threshold."""

    topic = "charging.low-balance"

    billing_account_id: str
    bucket_id: str
    currency: str
    remaining_minor: int
    threshold_minor: int
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class AllowanceRenewed(Event):
    """A product's first usage of a new billing period was counted against an allowance whose
    fair-usage policy throttles: whatever throttle the previous period left is lifted."""

    topic = "charging.allowance-renewed"

    product_id: str
    kind: str
    period_start: datetime
    occurred_at: datetime
