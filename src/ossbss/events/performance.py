"""Events performance publishes: threshold crossings and SLA breaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ossbss.kernel import Event


@dataclass(frozen=True, kw_only=True)
class ThresholdCrossed(Event):
    """A KPI crossed its raise level (hysteresis: it clears only below the clear level).
    assurance turns it into an alarm with ``reduction_key``."""

    topic = "performance.threshold-crossed"

    reduction_key: str
    resource_id: str
    metric: str
    value: float
    threshold: float
    perceived_severity: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class ThresholdCleared(Event):
    topic = "performance.threshold-cleared"

    reduction_key: str
    resource_id: str
    metric: str
    value: float
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class SlaBreached(Event):
    """A product's service availability over a period fell below its SLA target: billing turns
    the credit into an adjustment on the account's next bill (source "sla")."""

    topic = "performance.sla-breached"

    product_id: str
    service_id: str
    billing_account_id: str
    period_start: datetime
    period_end: datetime
    availability_ppm: int
    target_ppm: int
    credit_percent: int
    occurred_at: datetime
