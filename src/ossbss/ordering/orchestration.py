"""Orchestration: an accepted product order becomes products and service orders; finished
service orders complete its items; the order's state rolls up from its items.

Every function here runs as an outbox handler, inside the dispatcher's transaction and a
savepoint, exactly once per event (the dispatcher records handled events); each also checks
the order's state first, so a replay changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss import catalog, product_inventory, provisioning
from ossbss.events.ordering import ProductOrderAccepted, ProductOrderCancelRequested
from ossbss.events.provisioning import ServiceOrderFinished
from ossbss.kernel import Clock, HandlerRegistry
from ossbss.kernel.errors import DomainError
from ossbss.kernel.time import format_datetime
from ossbss.ordering import domain
from ossbss.ordering.dunning import subscribe_dunning
from ossbss.ordering.resources import CANCEL_PRODUCT_ORDER, PRODUCT_ORDER
from ossbss.tmf import Document, characteristic_list, get_resource, patch_resource, trusted

# What a completed item does to its product's status.
STATUS_AFTER = {
    "add": "active",
    "modify": "active",
    "resume": "active",
    "suspend": "suspended",
    "delete": "terminated",
}


def subscribe(registry: HandlerRegistry, clock: Clock) -> None:
    def on_accepted(session: Session, event: ProductOrderAccepted) -> None:
        with trusted():
            start(session, order_id=event.product_order_id, now=clock.now())

    def on_finished(session: Session, event: ServiceOrderFinished) -> None:
        with trusted():
            service_order_finished(session, event=event, now=clock.now())

    def on_cancel(session: Session, event: ProductOrderCancelRequested) -> None:
        with trusted():
            cancel(
                session, order_id=event.product_order_id, cancel_id=event.cancel_id, now=clock.now()
            )

    registry.subscribe(ProductOrderAccepted, on_accepted, name="ordering.start")
    registry.subscribe(ServiceOrderFinished, on_finished, name="ordering.service-order-finished")
    registry.subscribe(ProductOrderCancelRequested, on_cancel, name="ordering.cancel")
    subscribe_dunning(registry, clock)  # collections suspends and resumes through orders


def _update(session: Session, order_id: str, changes: dict[str, Any], now: datetime) -> Document:
    return patch_resource(
        session, resource=PRODUCT_ORDER, resource_id=order_id, patch=changes, now=now, trusted=True
    )


def start(session: Session, *, order_id: str, now: datetime) -> None:
    order = get_resource(session, resource=PRODUCT_ORDER, resource_id=order_id)
    if order["state"] != "acknowledged":
        return  # cancelled or held meanwhile, or already started
    items = order["productOrderItem"]
    try:
        with session.begin_nested():
            for item in items:
                _start_item(session, order, item, now)
            order = _update(
                session,
                order_id,
                {
                    "state": "inProgress",
                    "startDate": format_datetime(now),
                    "productOrderItem": items,
                },
                now,
            )
    except DomainError as exc:
        for item in items:
            item["state"] = "failed"
        order = _update(session, order_id, {"state": "inProgress"}, now)
        ending = {"productOrderItem": items, "note": _notes(order, [exc.message], now)}
        _update(session, order_id, {**ending, **_closing(items, now)}, now)
        return
    closing = _closing(items, now)  # every item done already (nothing to activate)
    if closing:
        _update(session, order_id, closing, now)


def _customer_id(order: Document) -> str | None:
    for ref in order.get("relatedParty") or []:
        if str(ref.get("role", "")).lower() == "customer":
            return str(ref["id"])
    return None


def _start_item(session: Session, order: Document, item: Document, now: datetime) -> None:
    kind = domain.intent(item)
    if kind == "noChange":
        item["state"] = "completed"
        return
    item["state"] = "inProgress"
    product_ref = item.setdefault("product", {})
    customer_id = _customer_id(order)
    if kind == "add":
        product = _create_product(session, order, item, customer_id, now)
        product_ref["id"] = product["id"]
        specification_id = (product_ref.get("productSpecification") or {}).get("id")
        decomposition = (
            catalog.decomposition_for(session, specification_id=specification_id)
            if specification_id
            else ()
        )
        services: tuple[str, ...] = ()
    else:
        product = product_inventory.get_product(session, product_id=product_ref["id"])
        specification_id = (product.get("productSpecification") or {}).get("id")
        decomposition = ()
        services = tuple(str(ref["id"]) for ref in product.get("realizingService") or [])
        if kind == "delete":
            item["productStatusBefore"] = product["status"]
            product_inventory.update_product(
                session, product_id=product["id"], changes={"status": "pendingTerminate"}, now=now
            )
    service_order = provisioning.submit_service_order(
        session,
        request=provisioning.ServiceRequest(
            product_order_id=order["id"],
            product_order_item_id=str(item["id"]),
            product_id=product["id"],
            product_specification_id=specification_id,
            action=kind,
            characteristics=domain.characteristics(product_ref),
            decomposition=decomposition,
            services=services,
            customer_id=customer_id,
        ),
        now=now,
    )
    if service_order is None:
        _complete_item(session, item, kind, product["id"], (), now)


def _create_product(
    session: Session, order: Document, item: Document, customer_id: str | None, now: datetime
) -> Document:
    ordered = item["product"]
    offering = item["productOffering"]
    document: dict[str, Any] = {
        "name": offering["name"],
        "status": "pendingActive",
        "isCustomerVisible": True,
        "productOffering": {"id": offering["id"], "name": offering["name"]},
        "productCharacteristic": ordered.get("productCharacteristic") or [],
        "billingAccount": item["billingAccount"],
        "productOrderItem": [
            {
                "productOrderId": order["id"],
                "orderItemId": str(item["id"]),
                "orderItemAction": "add",
            }
        ],
        "productPrice": _product_prices(item),
    }
    if ordered.get("productSpecification"):
        document["productSpecification"] = ordered["productSpecification"]
    if customer_id:
        document["relatedParty"] = [
            {"id": customer_id, "role": "customer", "@referredType": "Customer"}
        ]
    return product_inventory.create_product(session, document=document, now=now)


def _product_prices(item: Document) -> list[dict[str, Any]]:
    """The item's prices (from the catalog, set when the order was checked) as the product's."""
    return [
        {
            "name": price["name"],
            "priceType": price["priceType"],
            "price": price["price"],
            "productOfferingPrice": price["productOfferingPrice"],
            **(
                {"recurringChargePeriod": price["recurringChargePeriod"]}
                if "recurringChargePeriod" in price
                else {}
            ),
        }
        for price in item.get("itemPrice") or []
    ]


def _complete_item(
    session: Session,
    item: Document,
    kind: str,
    product_id: str,
    services: tuple[str, ...],
    now: datetime,
) -> None:
    changes: dict[str, Any] = {"status": STATUS_AFTER[kind]}
    if kind == "add" and services:
        changes["realizingService"] = [{"id": s, "@referredType": "Service"} for s in services]
    if kind == "modify":
        product = product_inventory.get_product(session, product_id=product_id)
        current = domain.characteristics(product)
        changes["productCharacteristic"] = characteristic_list(
            {**current, **domain.characteristics(item.get("product") or {})}
        )
        offering = item.get("productOffering") or {}
        current_offering = (product.get("productOffering") or {}).get("id")
        if offering.get("id") and offering["id"] != current_offering:
            # A plan change: the product is the new offering, at its prices, from now on.
            changes["productOffering"] = {"id": offering["id"], "name": offering.get("name")}
            changes["name"] = offering.get("name") or product.get("name")
            changes["productPrice"] = _product_prices(item)
    product_inventory.update_product(session, product_id=product_id, changes=changes, now=now)
    item["state"] = "completed"


def _fail_item(session: Session, item: Document, kind: str, product_id: str, now: datetime) -> None:
    if kind == "add":
        product_inventory.update_product(
            session, product_id=product_id, changes={"status": product_inventory.ABORTED}, now=now
        )
    elif kind == "delete":
        before = str(item.pop("productStatusBefore", "active"))
        product_inventory.update_product(
            session, product_id=product_id, changes={"status": before}, now=now
        )
    item["state"] = "failed"


def service_order_finished(session: Session, *, event: ServiceOrderFinished, now: datetime) -> None:
    if not event.product_order_id:
        return  # a service order from TMF640/TMF641 directly: no product order to complete
    order = get_resource(session, resource=PRODUCT_ORDER, resource_id=event.product_order_id)
    items = order["productOrderItem"]
    item = next((i for i in items if str(i["id"]) == event.product_order_item_id), None)
    if item is None or item.get("state") in domain.ITEM_FINAL:
        return
    kind = domain.intent(item)
    if event.state == "completed":
        _complete_item(session, item, kind, event.product_id, event.services, now)
    else:
        _fail_item(session, item, kind, event.product_id, now)
    changes: dict[str, Any] = {"productOrderItem": items}
    if event.state != "completed":
        changes["note"] = _notes(order, [f"item {item['id']}: {event.reason}"], now)
    if order["state"] == "inProgress":
        changes.update(_closing(items, now))  # the last item ends the order in the same write
    _update(session, order["id"], changes, now)


def _notes(order: Document, texts: list[str], now: datetime) -> list[dict[str, str]]:
    """The order's notes with ``texts`` added (TMF notes carry an id within the order)."""
    notes = list(order.get("note") or [])
    for text in texts:
        notes.append(
            {
                "id": str(len(notes) + 1),
                "text": text,
                "date": format_datetime(now),
                "author": "ossbss",
            }
        )
    return notes


def _closing(items: list[Document], now: datetime) -> dict[str, Any]:
    """The order's final state and completion date once every item is final, else nothing."""
    if not all(item.get("state") in domain.ITEM_FINAL for item in items):
        return {}
    return {
        "state": domain.roll_up([str(item.get("state")) for item in items]),
        "completionDate": format_datetime(now),
    }


def cancel(session: Session, *, order_id: str, cancel_id: str, now: datetime) -> None:
    """Cancel an order whose activation has not started; otherwise the request ends with an
    error and the order goes on (undoing finished work is a new order: delete the product)."""
    request = get_resource(session, resource=CANCEL_PRODUCT_ORDER, resource_id=cancel_id)
    if request["state"] != "acknowledged":
        return
    order = get_resource(session, resource=PRODUCT_ORDER, resource_id=order_id)
    resumable = order["state"]
    if resumable in domain.FINAL:
        _end_cancel(session, cancel_id, "terminatedWithError", f"order is {resumable}", now)
        return
    cancellable = resumable in ("acknowledged", "pending", "held") or (
        resumable == "inProgress"
        and provisioning.cancel_unstarted(session, product_order_id=order_id, now=now)
    )
    order = _update(session, order_id, {"state": "assessingCancellation"}, now)
    if not cancellable:
        _update(session, order_id, {"state": resumable}, now)
        _end_cancel(
            session, cancel_id, "terminatedWithError", "activation has already started", now
        )
        return
    items = order["productOrderItem"]
    for item in items:
        product_id = (item.get("product") or {}).get("id")
        if domain.intent(item) == "add" and product_id and item.get("state") == "inProgress":
            product_inventory.update_product(
                session, product_id=product_id, changes={"status": "cancelled"}, now=now
            )
        item["state"] = "cancelled"
    _update(session, order_id, {"state": "pendingCancellation"}, now)
    _update(
        session,
        order_id,
        {
            "state": "cancelled",
            "cancellationDate": format_datetime(now),
            "cancellationReason": request.get("cancellationReason"),
            "productOrderItem": items,
        },
        now,
    )
    _end_cancel(session, cancel_id, "done", None, now)


def _end_cancel(
    session: Session, cancel_id: str, state: str, reason: str | None, now: datetime
) -> None:
    changes: dict[str, Any] = {"state": state, "effectiveCancellationDate": format_datetime(now)}
    if reason:
        changes["stateReason"] = reason
    patch_resource(
        session,
        resource=CANCEL_PRODUCT_ORDER,
        resource_id=cancel_id,
        patch=changes,
        now=now,
        trusted=True,
    )
