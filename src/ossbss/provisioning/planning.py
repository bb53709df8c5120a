"""Planning: a service order's items become inventory services, allocations and driver steps.

Runs inside the activator's claim transaction: if anything cannot be planned (an exhausted
pool, an unknown port), the savepoint around it rolls every allocation back and the order
fails with the reason; nothing stays allocated.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss import catalog, inventory
from ossbss.catalog import CustomerFacingSpec, Parameter, ResourceFacingSpec
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.ids import new_id
from ossbss.provisioning import domain, models
from ossbss.provisioning.drivers import Action
from ossbss.tmf import Document, characteristic_list, characteristic_values


@dataclass(frozen=True)
class PlannedItem:
    item_id: str
    cfs_id: str


def reference(document: Document, kind: str) -> str | None:
    for ref in document.get("externalReference") or []:
        if ref.get("externalReferenceType") == kind:
            return str(ref.get("name"))
    return None


def plan_order(session: Session, *, order: Document, now: datetime) -> list[PlannedItem]:
    """Create the services, allocations and steps for every item; returns the CFS per item."""
    planned = []
    position = 0
    for item in order.get("serviceOrderItem") or []:
        service = item.get("service") or {}
        action = domain.item_action(str(item.get("action")), service)
        changes = characteristic_values(service.get("serviceCharacteristic"))
        if action == "add":
            cfs_spec = _cfs_spec(session, order, service)
            cfs_id, steps = _plan_add(session, order, cfs_spec, changes, now)
        else:
            cfs_id = str(service["id"])
            steps = _plan_change(session, order, cfs_id, action, changes)
        for rfs_id, spec, driver, step_action, params, previous in steps:
            position += 1
            session.add(
                models.Step(
                    order_id=order["id"],
                    position=position,
                    item_id=str(item.get("id")),
                    service_id=rfs_id,
                    spec=spec,
                    driver=driver,
                    action=step_action,
                    params=dict(params),
                    previous=dict(previous),
                )
            )
        planned.append(PlannedItem(str(item.get("id")), cfs_id))
    return planned


_Step = tuple[str, str, str, Action, Mapping[str, str], Mapping[str, str]]


def _cfs_spec(session: Session, order: Document, service: Document) -> CustomerFacingSpec:
    specification_id = reference(order, "productSpecification")
    wanted = (service.get("serviceSpecification") or {}).get("id")
    if specification_id is not None:
        for cfs in catalog.decomposition_for(session, specification_id=specification_id):
            if cfs.id == wanted:
                return cfs
    raise InvalidInput(
        "Unknown service specification",
        field="serviceOrderItem.service.serviceSpecification.id",
        detail=f"{wanted} is not in the decomposition of product specification {specification_id}",
    )


def _plan_add(
    session: Session,
    order: Document,
    cfs_spec: CustomerFacingSpec,
    values: Mapping[str, str],
    now: datetime,
) -> tuple[str, list[_Step]]:
    """The RFSs first (their ids chosen up front, so allocations can name them), each created
    complete, then the CFS resting on them: no service is written twice."""
    parties = order.get("relatedParty") or []
    steps: list[_Step] = []
    supporting = []
    for rfs_spec in cfs_spec.services:
        rfs_id = new_id()
        params, resources = _resolve(session, rfs_spec, rfs_id, values, now)
        document: dict[str, Any] = {
            "name": rfs_spec.name,
            "category": "RFS",
            "state": "reserved",
            "serviceType": rfs_spec.driver,
            "serviceSpecification": {"id": f"rfs:{rfs_spec.name}", "name": rfs_spec.name},
            "serviceCharacteristic": characteristic_list(params),
            "relatedParty": parties,
        }
        if resources:
            document["supportingResource"] = resources
        inventory.create_service(session, document=document, now=now, service_id=rfs_id)
        supporting.append({"id": rfs_id, "name": rfs_spec.name})
        steps.append((rfs_id, rfs_spec.name, rfs_spec.driver, "add", params, {}))
    cfs = inventory.create_service(
        session,
        document={
            "name": cfs_spec.name,
            "category": "CFS",
            "state": "designed",
            "serviceSpecification": {"id": cfs_spec.id, "name": cfs_spec.name},
            "serviceCharacteristic": characteristic_list(values),
            "supportingService": supporting,
            "relatedParty": parties,
            "relatedEntity": _related_entities(order),
        },
        now=now,
    )
    return cfs["id"], steps


def _resolve(
    session: Session,
    spec: ResourceFacingSpec,
    consumer_id: str,
    values: Mapping[str, str],
    now: datetime,
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Every parameter's value, in the order sources depend on each other."""
    params: dict[str, str] = {}
    for parameter in spec.parameters:
        if parameter.source == "value":
            params[parameter.name] = parameter.argument
        elif parameter.source == "characteristic":
            value = catalog.characteristic_value(parameter, values)
            if value is None:
                raise InvalidInput(
                    "Missing characteristic",
                    field="productCharacteristic",
                    detail=f"{spec.name} needs {parameter.argument}",
                )
            params[parameter.name] = value
        elif parameter.source == "generate":
            params[parameter.name] = _generate(parameter.argument, consumer_id)
    device_id = None
    if "port" in params:
        device_id, address, interface = _port_context(session, params["port"])
        params.setdefault("deviceAddress", address)
        params.setdefault("interface", interface)
        params.setdefault("device", device_id)
    resources = []
    for parameter in spec.parameters:
        if parameter.source != "allocate":
            continue
        pool_id = inventory.find_pool(
            session,
            kind=parameter.argument,
            name=parameter.pool,
            scope=device_id if parameter.per_device else None,
        )
        allocation = inventory.allocate(
            session, pool_id=pool_id, consumer_id=consumer_id, now=now, state="reserved"
        )
        params[parameter.name] = allocation.value
        resources.append({"id": pool_id, "name": f"{parameter.argument} {allocation.value}"})
    for parameter in spec.parameters:
        if parameter.source == "copy":
            params[parameter.name] = params[parameter.argument]
    return params, resources


def _generate(kind: str, consumer_id: str) -> str:
    if kind == "username":
        return f"sub-{consumer_id}"
    return secrets.token_urlsafe(12)


def _port_context(session: Session, port_id: str) -> tuple[str, str, str]:
    """The device a port belongs to, the device's management address, the port's name."""
    try:
        port = inventory.get_resource(session, resource_id=port_id)
    except NotFound:
        raise InvalidInput(
            "Unknown port", field="productCharacteristic", detail=f"no port with id {port_id}"
        ) from None
    device_id = next(
        (
            str(rel["resource"]["id"])
            for rel in port.get("resourceRelationship") or []
            if rel.get("relationshipType") == "isContainedIn" and rel.get("resource")
        ),
        None,
    )
    if device_id is None:
        raise InvalidInput(
            "Port without device", field="productCharacteristic", detail=f"port {port_id}"
        )
    device = inventory.get_resource(session, resource_id=device_id)
    return (
        device_id,
        device_address(device),
        _characteristic(port, "name") or str(port.get("name", "")),
    )


def _characteristic(resource: Document, name: str) -> str:
    return characteristic_values(resource.get("resourceCharacteristic")).get(name, "")


def device_address(device: Document) -> str:
    """Where a TMF639 device is managed: ``managementAddress``, with ``netconfPort`` if any
    (the key its configuration history is kept under)."""
    address = _characteristic(device, "managementAddress")
    netconf_port = _characteristic(device, "netconfPort")
    if netconf_port and ":" not in address:
        address = f"{address}:{netconf_port}"
    return address


def _plan_change(
    session: Session, order: Document, cfs_id: str, action: Action, changes: Mapping[str, str]
) -> list[_Step]:
    try:
        cfs = inventory.get_service(session, service_id=cfs_id)
    except NotFound:
        raise InvalidInput(
            "Unknown service", field="serviceOrderItem.service.id", detail=f"no service {cfs_id}"
        ) from None
    if cfs.get("state") == "terminated":
        raise InvalidInput(
            "Service terminated", field="serviceOrderItem.service.id", detail=f"{cfs_id}"
        )
    rfs_specs = _rfs_specs(session, order, cfs)
    values = {**characteristic_values(cfs.get("serviceCharacteristic")), **changes}
    steps: list[_Step] = []
    for ref in cfs.get("supportingService") or []:
        rfs = inventory.get_service(session, service_id=str(ref["id"]))
        current = characteristic_values(rfs.get("serviceCharacteristic"))
        params = dict(current)
        if action == "modify":
            spec = rfs_specs.get(str(rfs.get("name")))
            for parameter in spec.parameters if spec else ():
                value = _configured_value(parameter, values)
                if value is not None:
                    params[parameter.name] = value
            params.update(fair_usage_override(params, values))
            if params == current:
                continue
        steps.append(
            (rfs["id"], str(rfs.get("name")), str(rfs.get("serviceType")), action, params, current)
        )
    return steps


def _configured_value(parameter: Parameter, values: Mapping[str, str]) -> str | None:
    """A parameter a change recomputes: constants and ordered characteristics (allocations and
    generated secrets stay as they are)."""
    if parameter.source == "value":
        return parameter.argument
    if parameter.source == "characteristic":
        return catalog.characteristic_value(parameter, values)
    return None


# A fair-usage throttle (charging's policy at 100% of an allowance) is carried on the CFS as
# these characteristics; while they hold a value they override the rate limits the
# decomposition gives, and clearing them restores those.
FAIR_USAGE_RATES = {"rateDownKbps": "fairUsageDownKbps", "rateUpKbps": "fairUsageUpKbps"}


def fair_usage_override(params: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    return {
        rate: values[throttle]
        for rate, throttle in FAIR_USAGE_RATES.items()
        if rate in params and values.get(throttle)
    }


def _related_entities(order: Document) -> list[dict[str, str]]:
    """The product and product specification a CFS realises (read back by later changes)."""
    entities = []
    for kind, referred in (
        ("product", "Product"),
        ("productSpecification", "ProductSpecification"),
    ):
        entity_id = reference(order, kind)
        if entity_id:
            entities.append({"id": entity_id, "role": kind, "@referredType": referred})
    return entities


def cfs_references(cfs: Document) -> list[dict[str, str]]:
    """External references for a service order that changes ``cfs`` outside a product order."""
    return [
        {"externalReferenceType": entity["role"], "name": entity["id"]}
        for entity in cfs.get("relatedEntity") or []
        if entity.get("role") in ("product", "productSpecification")
    ]


def _rfs_specs(session: Session, order: Document, cfs: Document) -> dict[str, ResourceFacingSpec]:
    specification_id = reference(order, "productSpecification") or next(
        (
            str(entity["id"])
            for entity in cfs.get("relatedEntity") or []
            if entity.get("role") == "productSpecification"
        ),
        None,
    )
    if specification_id is None:
        return {}
    wanted = (cfs.get("serviceSpecification") or {}).get("id")
    for cfs_spec in catalog.decomposition_for(session, specification_id=specification_id):
        if cfs_spec.id == wanted:
            return {rfs.name: rfs for rfs in cfs_spec.services}
    return {}
