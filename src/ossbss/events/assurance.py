"""Events assurance publishes: alarm state changes, root causes and their impact, outages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ossbss.kernel import Event


@dataclass(frozen=True, kw_only=True)
class AlarmRaised(Event):
    """A new alarm (not a duplicate of an active one) was raised."""

    topic = "assurance.alarm-raised"

    alarm_id: str
    reduction_key: str
    perceived_severity: str
    alarmed_object_id: str | None
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class AlarmCleared(Event):
    """An active alarm cleared (by a clear signal, a rule such as linkUp, or by hand)."""

    topic = "assurance.alarm-cleared"

    alarm_id: str
    reduction_key: str
    alarmed_object_id: str | None
    is_root_cause: bool
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class RootCauseImpact(Event):
    """A root alarm hurts services and customers (published when correlation decides it, again
    when its impact grows). ``in_maintenance`` is true when a maintenance window covers it."""

    topic = "assurance.root-cause-impact"

    alarm_id: str
    perceived_severity: str
    alarmed_object_id: str | None
    service_ids: tuple[str, ...]
    customer_ids: tuple[str, ...]
    product_ids: tuple[str, ...]
    in_maintenance: bool
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class CustomerOutageStarted(Event):
    """One customer's services are down because of a root alarm (one event per customer)."""

    topic = "assurance.customer-outage-started"

    alarm_id: str
    customer_id: str
    service_ids: tuple[str, ...]
    product_ids: tuple[str, ...]
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class CustomerOutageEnded(Event):
    """The customer's service is restored (the root alarm cleared)."""

    topic = "assurance.customer-outage-ended"

    alarm_id: str
    customer_id: str
    service_ids: tuple[str, ...]
    product_ids: tuple[str, ...]
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class ServiceOutageStarted(Event):
    """A (customer-facing) service is down from ``started_at``; performance measures
    availability from these."""

    topic = "assurance.service-outage-started"

    alarm_id: str
    service_id: str
    product_ids: tuple[str, ...]
    customer_id: str | None
    planned: bool
    started_at: datetime


@dataclass(frozen=True, kw_only=True)
class ServiceOutageEnded(Event):
    topic = "assurance.service-outage-ended"

    alarm_id: str
    service_id: str
    ended_at: datetime
