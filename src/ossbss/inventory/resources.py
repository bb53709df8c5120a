"""The inventory room's TMF resources: TMF639 ``resource`` and TMF638 ``service``."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from ossbss import party
from ossbss.inventory import domain, footprint, models, repository
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound
from ossbss.tmf import Api, Document, Resource, Spec, check_initial, check_transition

WRITERS = frozenset({"admin", "noc"})


def _fix_tmf639(definitions: dict[str, Any]) -> None:
    """TMF639 v4's ``Resource_Create`` lists ``id`` and ``href`` as required, which a client
    creating a resource cannot send (the server assigns them), and ``ResourceRefOrValue`` (a
    relationship's resource) requires ``href`` beside ``id``."""
    for name, server_set in (
        ("Resource_Create", ("id", "href")),
        ("ResourceRefOrValue", ("href",)),
    ):
        definition = definitions[name]
        definition["required"] = [key for key in definition["required"] if key not in server_set]


def _fix_tmf638(definitions: dict[str, Any]) -> None:
    """TMF638 v4's ``Service`` declares no ``@type``, ``@baseType``, ``@schemaLocation``
    (every other v4 entity and v5 do): we accept and check them as the other APIs do."""
    for name in ("Service_Create", "Service_Update"):
        definitions[name]["properties"].update(
            {
                "@type": {"type": "string"},
                "@baseType": {"type": "string"},
                "@schemaLocation": {"type": "string", "format": "uri"},
            }
        )


_FIXES = {
    "TMF639-ResourceInventory-v4.0.0.swagger.json": _fix_tmf639,
    "TMF638-ServiceInventory-v4.0.0.swagger.json": _fix_tmf638,
}


class _FixedSpecApi(Api):
    """Validates against a copy of the spec file with the fixes above; the shipped file stays
    unmodified (docs/api.md, "Deliberate deviations")."""

    @cached_property
    def _fixed_spec(self) -> Spec:
        document = copy.deepcopy(super().spec.document)
        _FIXES[self.spec_file](document["definitions"])
        return Spec(document)

    @property
    def spec(self) -> Spec:
        return self._fixed_spec


RESOURCE_API = _FixedSpecApi(
    name="resourceInventoryManagement",
    spec_file="TMF639-ResourceInventory-v4.0.0.swagger.json",
    title="TMF639 Resource Inventory",
)
SERVICE_API = _FixedSpecApi(
    name="serviceInventory",
    spec_file="TMF638-ServiceInventory-v4.0.0.swagger.json",
    title="TMF638 Service Inventory",
)


# --- resources ---------------------------------------------------------------------------


class _ResourceRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        return check_resource(session, document, self_id=None)

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        before, after = domain.kind_of(old), domain.kind_of(new)
        if before != after:
            raise InvalidInput(
                "Kind is fixed",
                field="@type",
                detail=f"a {domain.TYPE_OF_KIND.get(before or '', old.get('@type'))} stays one; "
                "create a new resource instead",
            )
        if before in domain.POOL_TYPES and domain.range_changed(old, new):
            repository.lock_cursor(session, old["id"])  # wait for allocators in flight
            if repository.has_allocations(session, old["id"]):
                raise Conflict(
                    "Pool in use",
                    field="resourceCharacteristic",
                    detail="its range cannot change while values are allocated from it",
                )
            repository.forget_pool(session, old["id"])
        return check_resource(session, new, self_id=old["id"])

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        resource_id = document["id"]
        repository.lock_cursor(session, resource_id)  # a pool's allocators in flight finish first
        if repository.has_allocations(session, resource_id):
            raise Conflict(
                "Pool in use", field="id", detail="release its allocations before deleting it"
            )
        users = repository.referrers(session, resource_id) + [
            ("resource", pool) for pool in repository.scoped_pools(session, resource_id)
        ]
        if users:
            kind, other = users[0]
            raise Conflict("Resource in use", field="id", detail=f"{kind} {other} refers to it")
        repository.forget_pool(session, resource_id)


def check_resource(session: Session, document: Document, *, self_id: str | None) -> Document:
    """Kind-specific content first (pure), then what only the database can tell."""
    facts = domain.check_resource(document)
    relationships = domain.relationships(document)
    site = domain.site_place(document) if facts.kind == "device" else None
    wanted = [rel.target_id for rel in relationships] + [
        ref for ref in (site, facts.scope_id) if ref is not None
    ]
    kinds = repository.kinds_of(session, wanted)
    for rel in relationships:
        if rel.target_id == self_id:
            raise InvalidInput("Self reference", field=rel.field, detail="a resource cannot")
        _require(kinds, rel.target_id, rel.field)
    if facts.kind == "device":
        _check_device(kinds, relationships, site)
    elif facts.kind == "port":
        _check_port(session, kinds, facts, relationships, self_id)
    elif facts.kind == "link":
        _check_link(session, kinds, relationships, self_id)
    elif facts.kind in domain.POOL_TYPES:
        _check_pool(session, kinds, facts, self_id)
    return document


def _require(kinds: Mapping[str, str | None], target: str, field: str, *allowed: str) -> str | None:
    if target not in kinds:
        raise InvalidInput("Unknown resource", field=field, detail=f"no resource with id {target}")
    kind = kinds[target]
    if allowed and kind not in allowed:
        names = " or ".join(domain.TYPE_OF_KIND[name] for name in allowed)
        raise InvalidInput(
            "Wrong kind of resource",
            field=field,
            detail=f"{target} is a {domain.TYPE_OF_KIND.get(kind or '', 'resource')}, "
            f"not a {names}",
        )
    return kind


def _check_device(
    kinds: Mapping[str, str | None],
    relationships: Sequence[domain.Relationship],
    site: str | None,
) -> None:
    if site is not None:
        _require(kinds, site, "place.id", "site")
    for rel in relationships:
        if rel.relationship_type == domain.CONTAINED_IN:
            _require(kinds, rel.target_id, rel.field, "site", "device")


def _check_port(
    session: Session,
    kinds: Mapping[str, str | None],
    facts: domain.Facts,
    relationships: Sequence[domain.Relationship],
    self_id: str | None,
) -> None:
    rel = next(r for r in relationships if r.relationship_type == domain.CONTAINED_IN)
    _require(kinds, rel.target_id, rel.field, "device")
    for other_id, body in repository.children(session, rel.target_id, "port"):
        if other_id != self_id and domain.characteristic(body, "name") == facts.port_name:
            raise InvalidInput(
                "Duplicate port name",
                field=domain.char_field("name"),
                detail=f"device {rel.target_id} already has port {facts.port_name} ({other_id})",
            )


def _check_link(
    session: Session,
    kinds: Mapping[str, str | None],
    relationships: Sequence[domain.Relationship],
    self_id: str | None,
) -> None:
    ends = [r for r in relationships if r.relationship_type == domain.CONNECTS_TO]
    for rel in ends:
        _require(kinds, rel.target_id, rel.field, "port")
    for link_id, end_a, end_b in repository.links_at(session, [rel.target_id for rel in ends]):
        if link_id == self_id:
            continue
        busy = next(rel for rel in ends if rel.target_id in (end_a, end_b))
        raise InvalidInput(
            "Port already connected",
            field=busy.field,
            detail=f"port {busy.target_id} is an end of link {link_id}",
        )


def _check_pool(
    session: Session, kinds: Mapping[str, str | None], facts: domain.Facts, self_id: str | None
) -> None:
    if facts.scope_id is not None:
        scope_name = "device" if facts.kind == "vlanrange" else "site"
        _require(kinds, facts.scope_id, domain.char_field(scope_name), scope_name)
    other = repository.overlapping_pool(
        session,
        space=str(facts.space),
        lower_key=str(facts.lower_key),
        upper_key=str(facts.upper_key),
        other_than=self_id,
    )
    if other is not None:
        field = "cidr" if facts.pool_kind in ("ipv4", "ipv6", "ipv6-prefix") else "first"
        raise InvalidInput(
            "Overlapping pool",
            field=domain.char_field(field),
            detail=f"overlaps pool {other[0]} ({other[1]})",
        )


RESOURCE = Resource(
    api=RESOURCE_API,
    name="resource",
    model=models.InventoryResource,
    columns={
        "name": "name",
        "@type": "resource_type",
        "category": "category",
        "resourceStatus": "resource_status",
        "administrativeState": "administrative_state",
        "operationalState": "operational_state",
        "usageState": "usage_state",
    },
    refs=("resourceRelationship.resource.id", "place.id", "relatedParty.id"),
    state_field="resourceStatus",
    rules=_ResourceRules(),
    write_roles=WRITERS,
)


# --- services ----------------------------------------------------------------------------


class _ServiceRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        document["category"] = domain.normalise_category(document.get("category"))
        check_initial(domain.SERVICE_INITIAL, document.get("state"), field="state")
        return _check_service(session, {}, document, self_id=None)

    def on_created(self, session: Session, document: Document, now: datetime) -> None:
        footprint.record(session, service_id=document["id"], document=document)

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        new["category"] = domain.normalise_category(new.get("category"))
        check_transition(
            domain.SERVICE_LIFECYCLE, old.get("state"), new.get("state"), field="state"
        )
        checked = _check_service(session, old, new, self_id=old["id"])
        footprint.record(session, service_id=old["id"], document=checked, old=old)
        return checked

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        users = repository.referrers(session, document["id"])
        if users:
            kind, other = users[0]
            raise Conflict("Service in use", field="id", detail=f"{kind} {other} refers to it")
        footprint.forget(session, service_id=document["id"])


def _check_service(
    session: Session, old: Document, document: Document, *, self_id: str | None
) -> Document:
    resources = domain.service_references(document, "supportingResource")
    known = repository.kinds_of(session, [ref for _, ref in resources])
    for field, ref in resources:
        _require(known, ref, field)
    services = domain.service_references(document, "supportingService")
    categories = repository.service_categories(session, [ref for _, ref in services])
    for field, ref in services:
        if ref == self_id:
            raise InvalidInput("Self reference", field=field, detail="a service cannot")
        if ref not in categories:
            raise InvalidInput("Unknown service", field=field, detail=f"no service with id {ref}")
        if document["category"] == "RFS" and categories[ref] == "CFS":
            raise InvalidInput(
                "Wrong layer",
                field=field,
                detail=f"a resource-facing service cannot rest on customer-facing {ref}",
            )
    _check_parties(session, old.get("relatedParty") or [], document.get("relatedParty") or [])
    return document


def _check_parties(session: Session, old: Sequence[Any], related: Sequence[Any]) -> None:
    known = {(entry.get("id"), entry.get("@referredType")) for entry in old}
    for index, entry in enumerate(related):
        key = (entry.get("id"), entry.get("@referredType"))
        kind = str(entry.get("@referredType") or "")
        if key in known or kind not in ("Individual", "Organization", "Customer"):
            continue  # e.g. an employee or partner role: not ours to vouch for
        if not _party_found(session, str(entry.get("id")), kind):
            raise InvalidInput(
                "Unknown related party",
                field=f"relatedParty[{index}].id",
                detail=f"no {kind} with id {entry.get('id')}",
            )


def _party_found(session: Session, party_id: str, kind: str) -> bool:
    if kind == "Customer":
        try:
            party.get_customer(session, customer_id=party_id)
        except NotFound:
            return False
        return True
    return party.party_exists(session, party_id=party_id, referred_type=kind)


SERVICE = Resource(
    api=SERVICE_API,
    name="service",
    model=models.InventoryService,
    columns={
        "name": "name",
        "category": "category",
        "state": "state",
        "serviceType": "service_type",
        "serviceSpecification.id": "specification_id",
    },
    refs=(
        "supportingService.id",
        "supportingResource.id",
        "relatedParty.id",
        "serviceRelationship.service.id",
    ),
    state_field="state",
    rules=_ServiceRules(),
    write_roles=WRITERS,
)
RESOURCES = (RESOURCE, SERVICE)
