"""TMF641 serviceOrder: orders to change services, created by product orders or by clients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import format_datetime
from ossbss.provisioning import domain, models
from ossbss.tmf import Api, Document, Resource, check_transition, is_trusted

SERVICE_ORDERING_API = Api(
    name="serviceOrdering",
    spec_file="TMF641-ServiceOrdering-v4.0.0.swagger.json",
    title="TMF641 Service Ordering",
)


class _ServiceOrderRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        if document.get("state", "acknowledged") != "acknowledged":
            raise InvalidInput(
                "Invalid initial state", field="state", detail="a new order is acknowledged"
            )
        document["state"] = "acknowledged"
        document["orderDate"] = format_datetime(now)
        for index, item in enumerate(document.get("serviceOrderItem") or []):
            _check_client_item(item, index)
            item["state"] = "acknowledged"
        return document

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        check_transition(domain.ORDER_LIFECYCLE, old.get("state"), new.get("state"), field="state")
        changed_items = new.get("serviceOrderItem") != old.get("serviceOrderItem")
        if changed_items and old.get("state") != "acknowledged" and not is_trusted():
            raise InvalidInput(
                "Order items frozen",
                field="serviceOrderItem",
                detail=f"items cannot change once the order is {old.get('state')}",
            )
        return new

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        if document.get("state") not in domain.FINAL:
            raise InvalidInput(
                "Order in flight",
                field="state",
                detail=f"an order that is {document.get('state')} cannot be deleted",
            )


def _check_client_item(item: Document, index: int) -> None:
    where = f"serviceOrderItem[{index}]"
    action = item.get("action")
    service = item.get("service") or {}
    if action == "add":
        if not (service.get("serviceSpecification") or {}).get("id"):
            raise InvalidInput(
                "Missing service specification",
                field=f"{where}.service.serviceSpecification.id",
                detail="an added service names its customer-facing specification",
            )
    elif action in domain.CLIENT_ACTIONS:
        if not service.get("id"):
            raise InvalidInput(
                "Missing service", field=f"{where}.service.id", detail="the service to change"
            )
    else:
        raise InvalidInput(
            "Unsupported action", field=f"{where}.action", detail="add, modify or delete"
        )


SERVICE_ORDER = Resource(
    api=SERVICE_ORDERING_API,
    name="serviceOrder",
    model=models.ServiceOrder,
    columns={"id": "id", "state": "state", "externalId": "external_id"},
    refs=("relatedParty.id", "serviceOrderItem.service.id"),
    state_field="state",
    rules=_ServiceOrderRules(),
    write_roles=frozenset({"admin", "noc"}),
)
RESOURCES = (SERVICE_ORDER,)
