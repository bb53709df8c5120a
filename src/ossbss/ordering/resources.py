"""TMF622 productOrder and cancelProductOrder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ossbss.events.ordering import ProductOrderAccepted, ProductOrderCancelRequested
from ossbss.kernel.errors import InvalidInput, InvalidStateTransition, NotFound
from ossbss.kernel.outbox import publish
from ossbss.kernel.time import format_datetime
from ossbss.ordering import domain, models, validation
from ossbss.tmf import Api, Document, Resource, check_transition, get_resource, is_trusted

ORDERING_API = Api(
    name="productOrderingManagement",
    spec_file="TMF622-ProductOrdering-v4.0.0.swagger.json",
    title="TMF622 Product Ordering",
)
WRITERS = frozenset({"admin", "csr"})


class _ProductOrderRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        if document.get("state", "acknowledged") != "acknowledged":
            raise InvalidInput(
                "Invalid initial state", field="state", detail="a new order is acknowledged"
            )
        document["state"] = "acknowledged"
        document["orderDate"] = format_datetime(now)
        return validation.check_order(session, document, now)

    def on_created(self, session: Session, document: Document, now: datetime) -> None:
        publish(
            session, ProductOrderAccepted(product_order_id=document["id"], occurred_at=now), now=now
        )

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        before, after = old.get("state"), new.get("state")
        if is_trusted():
            check_transition(domain.ORDER_LIFECYCLE, before, after, field="state")
            return new
        if before != after and after not in domain.CLIENT_MOVES.get(str(before), frozenset()):
            check_transition(domain.ORDER_LIFECYCLE, before, after, field="state")
            raise InvalidStateTransition(
                "Invalid state transition",
                field="state",
                detail=f"cannot go from {before} to {after}: the server moves orders to "
                f"{after}; clients may only hold or release an order not yet started, and "
                "cancel it with cancelProductOrder",
            )
        if new.get("productOrderItem") != old.get("productOrderItem"):
            raise InvalidInput(
                "Order items frozen",
                field="productOrderItem",
                detail="items cannot change after the order is placed; cancel and reorder",
            )
        return new

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        if document.get("state") not in domain.FINAL:
            raise InvalidStateTransition(
                "Order in flight",
                field="state",
                detail=f"an order that is {document.get('state')} cannot be deleted; cancel it",
            )


class _CancelRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        order_id = str((document.get("productOrder") or {}).get("id"))
        try:
            order = get_resource(session, resource=PRODUCT_ORDER, resource_id=order_id)
        except NotFound:
            raise InvalidInput(
                "Unknown product order", field="productOrder.id", detail=f"no order {order_id}"
            ) from None
        if order["state"] in domain.FINAL:
            raise InvalidStateTransition(
                "Order already ended",
                field="productOrder.id",
                detail=f"order {order_id} is {order['state']}; it cannot be cancelled",
            )
        document["productOrder"] = {"id": order_id, "@referredType": "ProductOrder"}
        document["state"] = "acknowledged"
        document.setdefault("requestedCancellationDate", format_datetime(now))
        return document

    def on_created(self, session: Session, document: Document, now: datetime) -> None:
        publish(
            session,
            ProductOrderCancelRequested(
                product_order_id=document["productOrder"]["id"],
                cancel_id=document["id"],
                occurred_at=now,
            ),
            now=now,
        )

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        if not is_trusted():
            raise InvalidInput("Not patchable", field="state", detail="a cancellation is a task")
        return new

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        return None


PRODUCT_ORDER = Resource(
    api=ORDERING_API,
    name="productOrder",
    model=models.ProductOrder,
    columns={"id": "id", "state": "state", "externalId": "external_id"},
    refs=("relatedParty.id", "productOrderItem.product.id", "billingAccount.id"),
    state_field="state",
    rules=_ProductOrderRules(),
    server_fields=frozenset(
        {"id", "href", "orderDate", "completionDate", "orderTotalPrice", "startDate"}
    ),
    write_roles=WRITERS,
)
CANCEL_PRODUCT_ORDER = Resource(
    api=ORDERING_API,
    name="cancelProductOrder",
    model=models.CancelProductOrder,
    columns={"id": "id", "state": "state", "productOrder.id": "product_order_id"},
    state_field="state",
    rules=_CancelRules(),
    write_roles=WRITERS,
)
RESOURCES = (PRODUCT_ORDER, CANCEL_PRODUCT_ORDER)
