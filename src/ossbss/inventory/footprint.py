"""A service's footprint: the resources it uses, and the reverse question assurance asks when
a device or a link fails: which services (and, above them, which customer-facing services,
customers and products) use these resources?

The footprint is kept in ``inventory_service_resource`` by the service rules on every write
(``record``/``forget``); ``rebuild_footprint`` fills it for services written before it
existed (the migration that adds the table calls it). Reads are set-based: a handful of
queries for any number of resources.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from ossbss.inventory.models import InventoryService as S
from ossbss.inventory.models import ServiceResource
from ossbss.inventory.topology import matching
from ossbss.tmf import RefIndex

SR = cast(Table, ServiceResource.__table__)
# Service characteristics whose value is the id of a resource the service runs on (the
# planner writes ``port`` and ``device`` on an RFS; a CFS carries the ordered ``accessPort``).
RESOURCE_CHARACTERISTICS = ("port", "device", "accessPort", "link")
SUPPORTING_RESOURCE = "supportingResource"
# Services that count as hurt when what they use fails (designed, reserved, inactive
# (suspended) and terminated services carry no traffic).
IN_SERVICE = ("active",)
_MAX_LAYERS = 6  # RFS on RFS on ... a CFS: deeper than this is a modelling loop


def footprint_of(document: Mapping[str, Any]) -> dict[str, str]:
    """resource id -> how the service names it (pure)."""
    found: dict[str, str] = {}
    for entry in document.get(SUPPORTING_RESOURCE) or ():
        if isinstance(entry, Mapping) and entry.get("id") is not None:
            found.setdefault(str(entry["id"]), SUPPORTING_RESOURCE)
    for entry in document.get("serviceCharacteristic") or ():
        if not isinstance(entry, Mapping) or entry.get("name") not in RESOURCE_CHARACTERISTICS:
            continue
        value = entry.get("value")
        if isinstance(value, str) and value.strip():
            found.setdefault(value.strip(), str(entry["name"]))
    return found


def record(
    session: Session,
    *,
    service_id: str,
    document: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
) -> None:
    """Keep the service's footprint rows in step with its document (no write when a patch
    left the footprint as it was)."""
    new = footprint_of(document)
    if old is not None:
        if footprint_of(old) == new:
            return
        session.execute(delete(SR).where(SR.c.service_id == service_id))
    if new:
        session.execute(
            insert(SR),
            [
                {"service_id": service_id, "resource_id": resource_id, "via": via}
                for resource_id, via in new.items()
            ],
        )


def forget(session: Session, *, service_id: str) -> None:
    session.execute(delete(SR).where(SR.c.service_id == service_id))


def rebuild_footprint(session: Session, *, batch_size: int = 1000) -> int:
    """Rewrite every service's footprint from its document (a backfill, or a repair after a
    bulk import); returns the number of rows written."""
    session.execute(delete(SR))
    written = 0
    last_pk = 0
    while True:
        rows = session.execute(
            select(S.pk, S.id, S.body).where(S.pk > last_pk).order_by(S.pk).limit(batch_size)
        ).all()
        if not rows:
            return written
        values = [
            {"service_id": service_id, "resource_id": resource_id, "via": via}
            for _, service_id, body in rows
            for resource_id, via in footprint_of(body or {}).items()
        ]
        if values:
            session.execute(insert(SR), values)
        written += len(values)
        last_pk = rows[-1][0]


# --- the reverse question ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceHit:
    """A top-level service (a CFS, or a service nothing else rests on) that loses something
    it uses: the resources of the question it rests on, directly or through RFSs."""

    id: str
    name: str | None
    category: str | None
    resource_ids: frozenset[str]
    supporting_ids: frozenset[str]  # the services below it that use those resources
    customer_ids: tuple[str, ...]  # relatedParty of @referredType Customer or role customer
    product_ids: tuple[str, ...]  # relatedEntity role product (or @referredType Product)


def services_using(
    session: Session, *, resource_ids: Collection[str], states: Iterable[str] = IN_SERVICE
) -> list[ServiceHit]:
    """The top-level services that use any of ``resource_ids``, directly or through the
    services they rest on, in one pass per layer of ``supportingService``."""
    wanted_states = tuple(states)
    # service id -> (resources it is hurt by, services below it that are hurt)
    hurt: dict[str, tuple[set[str], set[str]]] = {}
    ids = list(dict.fromkeys(resource_ids))
    using: dict[str, set[str]] = {}
    # Two indexed reads rather than a join: given the join, SQLite starts from every service
    # in the state and probes the footprint, not the other way round.
    for condition in matching(session, SR.c.resource_id, ids):
        rows = session.execute(select(SR.c.service_id, SR.c.resource_id).where(condition))
        for service_id, resource_id in rows:
            using.setdefault(service_id, set()).add(resource_id)
    for service_id in _in_states(session, using, wanted_states):
        hurt[service_id] = (using[service_id], set())
    tops: set[str] = set()
    layer = set(hurt)
    for _ in range(_MAX_LAYERS):
        if not layer:
            break
        parents = _resting_on(session, layer)
        # a service nothing rests on is a top; one under services out of service hurts nobody
        tops.update(service for service in layer if service not in parents)
        next_layer: set[str] = set()
        for child, above in parents.items():
            resources, below = hurt[child]
            for parent, state in above:
                if state not in wanted_states:
                    continue
                entry = hurt.setdefault(parent, (set(), set()))
                entry[0].update(resources)
                entry[1].update(below | {child})
                next_layer.add(parent)
        layer = next_layer
    return _hits(session, {top: hurt[top] for top in tops})


def _in_states(
    session: Session, service_ids: Collection[str], states: tuple[str, ...]
) -> list[str]:
    found: list[str] = []
    for condition in matching(session, S.id, service_ids):
        found += session.scalars(select(S.id).where(condition, S.state.in_(states))).all()
    return found


def _resting_on(session: Session, service_ids: Collection[str]) -> dict[str, set[tuple[str, str]]]:
    """child service id -> (id, state) of the services whose supportingService lists it
    (the reference index answers without reading documents)."""
    found: dict[str, set[tuple[str, str]]] = {}
    for condition in matching(session, RefIndex.value, service_ids):
        rows = session.execute(
            select(RefIndex.value, S.id, S.state)
            .join(S, S.pk == RefIndex.resource_pk)
            .where(
                RefIndex.resource == "service",
                RefIndex.path == "supportingService.id",
                condition,
            )
        )
        for child, parent, state in rows:
            found.setdefault(child, set()).add((parent, str(state)))
    return found


def _hits(session: Session, hurt: Mapping[str, tuple[set[str], set[str]]]) -> list[ServiceHit]:
    hits = []
    # Only the two arrays the answer needs, not whole documents.
    parties, entities = S.body["relatedParty"], S.body["relatedEntity"]
    for condition in matching(session, S.id, sorted(hurt)):
        rows = session.execute(
            select(S.id, S.name, S.category, parties, entities).where(condition).order_by(S.pk)
        )
        for service_id, name, category, related_party, related_entity in rows:
            resources, below = hurt[service_id]
            document = {"relatedParty": related_party, "relatedEntity": related_entity}
            hits.append(
                ServiceHit(
                    id=service_id,
                    name=name,
                    category=category,
                    resource_ids=frozenset(resources),
                    supporting_ids=frozenset(below),
                    customer_ids=customers_of(document),
                    product_ids=products_of(document),
                )
            )
    return hits


def customers_of(document: Mapping[str, Any]) -> tuple[str, ...]:
    found = [
        str(entry["id"])
        for entry in document.get("relatedParty") or ()
        if isinstance(entry, Mapping)
        and entry.get("id") is not None
        and (entry.get("@referredType") == "Customer" or entry.get("role") == "customer")
    ]
    return tuple(dict.fromkeys(found))


def products_of(document: Mapping[str, Any]) -> tuple[str, ...]:
    found = [
        str(entry["id"])
        for entry in document.get("relatedEntity") or ()
        if isinstance(entry, Mapping)
        and entry.get("id") is not None
        and (entry.get("role") == "product" or entry.get("@referredType") == "Product")
    ]
    return tuple(dict.fromkeys(found))
