"""The impact of root alarms: the customer-facing services that use what a root's failure
takes down, their customers and products, whether planned work covers it; recorded on the
alarm and announced as events (RootCauseImpact, Customer/ServiceOutageStarted and Ended).

Set-based: one pass over inventory's footprint for all the batch's roots, one read of the
customers' names, one of the maintenance windows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import inventory, party
from ossbss.assurance.models import MaintenanceWindow
from ossbss.assurance.topology_rules import HurtService, outages_by_customer
from ossbss.events.assurance import (
    CustomerOutageEnded,
    CustomerOutageStarted,
    RootCauseImpact,
    ServiceOutageEnded,
    ServiceOutageStarted,
)
from ossbss.kernel import Event

# Set in the impact document once the outages of a root were announced: its clear ends them.
ANNOUNCED = "outageAnnounced"


@dataclass(frozen=True, slots=True)
class Root:
    """A root alarm and what its failure takes down."""

    alarm_id: str
    kind: str  # device, link, port
    object_id: str
    severity: str
    raised_at: datetime
    scope: frozenset[str]


@dataclass(frozen=True, slots=True)
class Assessment:
    root: Root
    services: tuple[HurtService, ...]
    customer_names: Mapping[str, str | None]
    planned: bool

    @property
    def service_ids(self) -> tuple[str, ...]:
        return tuple(service.id for service in self.services)

    @property
    def customer_ids(self) -> tuple[str, ...]:
        ids = (customer for service in self.services for customer in service.customer_ids)
        return tuple(dict.fromkeys(ids))

    @property
    def product_ids(self) -> tuple[str, ...]:
        ids = (product for service in self.services for product in service.product_ids)
        return tuple(dict.fromkeys(ids))

    def document(self) -> dict[str, Any]:
        """The impact JSON stored on the alarm."""
        return {
            "rootKind": self.root.kind,
            "resourceCount": len(self.root.scope),
            "services": [
                {
                    "id": service.id,
                    "name": service.name,
                    "customers": list(service.customer_ids),
                    "products": list(service.product_ids),
                }
                for service in self.services
            ],
            "customers": [
                {"id": customer, "name": self.customer_names.get(customer)}
                for customer in self.customer_ids
            ],
            "products": list(self.product_ids),
            ANNOUNCED: True,
        }


def assess(session: Session, *, roots: Sequence[Root], now: datetime) -> list[Assessment]:
    """Each root's hurt services, customers, products and whether planned work covers it."""
    if not roots:
        return []
    everything = set().union(*(root.scope for root in roots))
    hits = inventory.services_using(session, resource_ids=everything)
    names = party.customer_names(
        session, customer_ids={customer for hit in hits for customer in hit.customer_ids}
    )
    planned = _planned(session, roots, now)
    hits_at: dict[str, list[int]] = {}
    for position, hit in enumerate(hits):
        for resource_id in hit.resource_ids:
            hits_at.setdefault(resource_id, []).append(position)
    assessments = []
    for root in roots:
        positions = sorted(
            {p for member in root.scope if member in hits_at for p in hits_at[member]}
        )
        services = tuple(
            HurtService(hits[p].id, hits[p].name, hits[p].customer_ids, hits[p].product_ids)
            for p in positions
        )
        customers = {c for service in services for c in service.customer_ids}
        assessments.append(
            Assessment(
                root=root,
                services=services,
                customer_names={c: names.get(c) for c in customers},
                planned=root.alarm_id in planned,
            )
        )
    return assessments


def _planned(session: Session, roots: Sequence[Root], now: datetime) -> set[str]:
    """Roots a maintenance window active at ``now`` covers: through the alarmed object or
    what contains it (a port's device, a device's site; a link's end ports and devices)
    (``maintenance.covering``'s rule, for all the batch's roots in one read)."""
    windows = [
        set(ids or ())
        for ids in session.scalars(
            select(MaintenanceWindow.resource_ids).where(
                MaintenanceWindow.starts_at <= now, MaintenanceWindow.ends_at > now
            )
        )
    ]
    if not windows:
        return set()
    listed = set().union(*windows)
    covered = set()
    related = _containing(session, [root.object_id for root in roots])
    for root in roots:
        if listed.intersection(related.get(root.object_id, {root.object_id})):
            covered.add(root.alarm_id)
    return covered


def _containing(session: Session, object_ids: Collection[str]) -> dict[str, set[str]]:
    """object id -> itself and what contains it, two levels up (port, device, site); a
    link's end ports count as containing it."""
    ends = inventory.link_end_ports(session, object_ids)
    first = {oid: {oid, *ends.get(oid, ())} for oid in object_ids}
    level = set().union(*first.values()) if first else set()
    for _ in range(2):
        parents = inventory.containers(session, list(level))
        for members in first.values():
            members.update(parents[m][1] for m in list(members) if m in parents)
        level = {parent for _, parent in parents.values()}
    return first


# --- events ------------------------------------------------------------------------------


def started_events(
    assessment: Assessment,
    *,
    services: Iterable[HurtService] | None = None,
    occurred_at: datetime,
) -> list[Event]:
    """RootCauseImpact, then an outage per customer and per service (``services``: only
    these, when an impact grew)."""
    root = assessment.root
    announced = tuple(assessment.services if services is None else services)
    events: list[Event] = [
        RootCauseImpact(
            alarm_id=root.alarm_id,
            perceived_severity=root.severity,
            alarmed_object_id=root.object_id,
            service_ids=assessment.service_ids,
            customer_ids=assessment.customer_ids,
            product_ids=assessment.product_ids,
            in_maintenance=assessment.planned,
            occurred_at=occurred_at,
        )
    ]
    for outage in outages_by_customer(announced):
        events.append(
            CustomerOutageStarted(
                alarm_id=root.alarm_id,
                customer_id=outage.customer_id,
                service_ids=outage.service_ids,
                product_ids=outage.product_ids,
                occurred_at=root.raised_at,
            )
        )
    for service in announced:
        events.append(
            ServiceOutageStarted(
                alarm_id=root.alarm_id,
                service_id=service.id,
                product_ids=service.product_ids,
                customer_id=next(iter(service.customer_ids), None),
                planned=assessment.planned,
                started_at=root.raised_at,
            )
        )
    return events


def hurt_services(impact: Mapping[str, Any] | None) -> list[HurtService]:
    """The services an impact document lists (what a clear restores)."""
    return [
        HurtService(
            id=str(entry["id"]),
            name=entry.get("name"),
            customer_ids=tuple(entry.get("customers") or ()),
            product_ids=tuple(entry.get("products") or ()),
        )
        for entry in (impact or {}).get("services") or ()
        if isinstance(entry, Mapping) and entry.get("id") is not None
    ]


def ended_events(alarm_id: str, impact: Mapping[str, Any], *, ended_at: datetime) -> list[Event]:
    """The outages a cleared alarm had announced end."""
    if not impact.get(ANNOUNCED):
        return []
    services = hurt_services(impact)
    events: list[Event] = [
        CustomerOutageEnded(
            alarm_id=alarm_id,
            customer_id=outage.customer_id,
            service_ids=outage.service_ids,
            product_ids=outage.product_ids,
            occurred_at=ended_at,
        )
        for outage in outages_by_customer(services)
    ]
    events += [
        ServiceOutageEnded(alarm_id=alarm_id, service_id=service.id, ended_at=ended_at)
        for service in services
    ]
    return events
