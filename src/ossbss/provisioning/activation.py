"""TMF640 Service Activation and Configuration: the services of the inventory, where a PATCH
asks the network for a change instead of editing a record.

A PATCH of ``state`` (``inactive`` suspends, ``active`` resumes, ``terminated`` deletes) or
of ``serviceCharacteristic`` (reconfigures) submits a TMF641 service order for that service
and answers with the service as it still is; the service changes — and its hub
notifications go out — when the activation has run. New services come from product orders.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss import inventory
from ossbss.kernel.errors import InvalidInput
from ossbss.provisioning import planning
from ossbss.provisioning.resources import SERVICE_ORDER
from ossbss.tmf import Api, Document, create_resource

ACTIVATION_API = Api(
    name="ServiceActivationAndConfiguration",
    spec_file="TMF640-ServiceActivationConfiguration-v4.0.0.swagger.json",
    title="TMF640 Service Activation and Configuration",
)


class _ActivationRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        raise InvalidInput(
            "Services come from orders",
            field="serviceSpecification",
            detail="order the product (TMF622 productOrder) to create its services",
        )

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        item = _order_item(old, new)
        if item is None:
            return new  # nothing for the network: an ordinary attribute change
        create_resource(
            session,
            resource=SERVICE_ORDER,
            payload={
                "category": "TMF640",
                "description": f"{item['action']} of service {old['id']} requested over TMF640",
                "externalReference": planning.cfs_references(old),
                "relatedParty": old.get("relatedParty") or [],
                "serviceOrderItem": [item],
            },
            now=now,
        )
        return old

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        raise InvalidInput(
            "Terminate instead", field="state", detail="PATCH state to terminated to remove it"
        )


def _order_item(old: Document, new: Document) -> dict[str, Any] | None:
    if old.get("category") != "CFS":
        if new.get("state") != old.get("state") or new.get("serviceCharacteristic") != old.get(
            "serviceCharacteristic"
        ):
            raise InvalidInput(
                "Change the customer-facing service",
                field="id",
                detail="activation acts on customer-facing services (category CFS)",
            )
        return None
    before, after = old.get("state"), new.get("state")
    service: dict[str, Any] = {"id": old["id"]}
    if after != before:
        if after == "terminated":
            return {"id": "1", "action": "delete", "service": service}
        if (before, after) not in (("active", "inactive"), ("inactive", "active")):
            raise InvalidInput(
                "Invalid state change",
                field="state",
                detail=f"cannot go from {before} to {after} on the network",
            )
        return {"id": "1", "action": "modify", "service": {**service, "state": after}}
    if new.get("serviceCharacteristic") != old.get("serviceCharacteristic"):
        characteristics = new.get("serviceCharacteristic") or []
        return {
            "id": "1",
            "action": "modify",
            "service": {**service, "state": "active", "serviceCharacteristic": characteristics},
        }
    return None


ACTIVATION_SERVICE = dataclasses.replace(
    inventory.SERVICE,
    api=ACTIVATION_API,
    rules=_ActivationRules(),
    write_roles=frozenset({"admin", "noc"}),
    operation_suffix="Activation",
)
RESOURCES = (ACTIVATION_SERVICE,)
