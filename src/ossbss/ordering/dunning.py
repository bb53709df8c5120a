"""Collections acts on products through ordering: on DunningActionRequested, a TMF622
product order suspends, resumes or terminates the billing account's products, placed through
the same creation path (and validation) as an order from the API, so provisioning carries it
to the network (RADIUS walled garden, reject) exactly as a manual one. What ordering did is
written back on the dunning case's audit trail.

Replays are harmless: products already in the target state are not ordered again, nor are
products with an order still in flight."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import payment, product_inventory
from ossbss.events.payment import DunningActionRequested
from ossbss.kernel import Clock, HandlerRegistry
from ossbss.kernel.errors import DomainError
from ossbss.ordering import domain
from ossbss.ordering.models import ProductOrder
from ossbss.ordering.resources import PRODUCT_ORDER
from ossbss.tmf import Document, RefIndex, create_resource

log = logging.getLogger(__name__)
# The product statuses each action applies to (others are already where it would take them).
APPLIES_TO: dict[str, tuple[str, ...]] = {
    "suspend": ("active",),
    "resume": ("suspended",),
    "terminate": ("active", "suspended"),
}
IN_FLIGHT = sorted(set(domain.ORDER_LIFECYCLE) - domain.FINAL)
AUTHOR = "ossbss dunning"


def subscribe_dunning(registry: HandlerRegistry, clock: Clock) -> None:
    def on_requested(session: Session, event: DunningActionRequested) -> None:
        act_on_dunning(session, event=event, now=clock.now())

    registry.subscribe(DunningActionRequested, on_requested, name="ordering.dunning")


def act_on_dunning(session: Session, *, event: DunningActionRequested, now: datetime) -> list[str]:
    """Place the orders a dunning action asks for; returns their ids."""
    products = product_inventory.products_of_account(
        session, billing_account_id=event.billing_account_id, statuses=APPLIES_TO[event.action]
    )
    if event.action == "resume":
        # Only what dunning suspended: a product the customer asked to suspend stays so.
        ours = _suspended_by_dunning(session, event.billing_account_id)
        products = [p for p in products if p["id"] in ours]
    busy = [p["id"] for p in products if _in_flight(session, p["id"])]
    by_customer: dict[str, list[Document]] = defaultdict(list)
    for product in products:
        if product["id"] not in busy:
            by_customer[_customer_id(product) or ""].append(product)
    placed: list[str] = []
    problems = [f"{len(busy)} product(s) skipped: an order is in flight"] if busy else []
    for customer_id, group in sorted(by_customer.items()):
        try:
            with session.begin_nested():
                order = create_resource(
                    session,
                    resource=PRODUCT_ORDER,
                    payload=_order(event, customer_id, group),
                    now=now,
                )
            placed.append(order["id"])
        except DomainError as exc:
            log.warning("dunning %s of account %s: %s", event.action, event.billing_account_id, exc)
            problems.append(f"order refused ({exc.reason}): {exc.message}")
    _report(session, event, placed, problems, now)
    return placed


def _order(event: DunningActionRequested, customer_id: str, products: list[Document]) -> Document:
    text = f"Dunning step {event.step}: {event.action} ({event.reason})"
    return {
        "externalId": external_id(event.action, event.billing_account_id),
        "description": text,
        "category": "dunning",
        "note": [{"author": AUTHOR, "text": text}],
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": event.billing_account_id, "@referredType": "BillingAccount"},
        "productOrderItem": [
            _item(str(index), event.action, product["id"])
            for index, product in enumerate(products, start=1)
        ],
    }


def _item(item_id: str, action: str, product_id: str) -> dict[str, Any]:
    """The item a person would send: a modify to status suspended (a suspension) or active
    (a resumption), or a delete (a termination)."""
    if action == "terminate":
        return {"id": item_id, "action": "delete", "product": {"id": product_id}}
    status = "suspended" if action == "suspend" else "active"
    return {"id": item_id, "action": "modify", "product": {"id": product_id, "status": status}}


def external_id(action: str, billing_account_id: str) -> str:
    """The externalId of dunning's orders: finds them again (what did dunning suspend?)."""
    return f"dunning-{action}:{billing_account_id}"


def _suspended_by_dunning(session: Session, billing_account_id: str) -> set[str]:
    """Products in the dunning suspension orders of the account since its last resumption."""
    keys = {external_id(a, billing_account_id): a for a in ("suspend", "resume")}
    rows = session.execute(
        select(ProductOrder.external_id, ProductOrder.body)
        .where(ProductOrder.external_id.in_(list(keys)))
        .order_by(ProductOrder.pk)
    ).all()
    products: set[str] = set()
    for key, body in rows:
        if keys[str(key)] == "resume":
            products.clear()
        else:
            items = body.get("productOrderItem") or []
            products.update(str((item.get("product") or {}).get("id")) for item in items)
    return products


def _customer_id(product: Document) -> str | None:
    for ref in product.get("relatedParty") or []:
        if str(ref.get("role", "")).lower() == "customer":
            return str(ref.get("id"))
    return None


def _in_flight(session: Session, product_id: str) -> bool:
    """Some order not yet final names the product (read here, not through the TMF list:
    its cached totals may lag behind this very transaction)."""
    orders_naming = select(RefIndex.resource_pk).where(
        RefIndex.resource == PRODUCT_ORDER.name,
        RefIndex.path == "productOrderItem.product.id",
        RefIndex.value == product_id,
    )
    query = select(ProductOrder.pk).where(
        ProductOrder.pk.in_(orders_naming), ProductOrder.state.in_(IN_FLIGHT)
    )
    return session.execute(query.limit(1)).first() is not None


def _report(
    session: Session,
    event: DunningActionRequested,
    placed: list[str],
    problems: list[str],
    now: datetime,
) -> None:
    if placed:
        outcome = "ordered"
        detail = "product order " + ", ".join(placed)
    elif problems:
        outcome = "failed"
        detail = ""
    else:
        outcome = "nothing to do"
        detail = f"no product of the account is {' or '.join(APPLIES_TO[event.action])}"
    detail = "; ".join([part for part in (detail, *problems) if part])
    payment.record_dunning_outcome(
        session,
        billing_account_id=event.billing_account_id,
        step=event.step,
        action=event.action,
        outcome=outcome,
        detail=detail,
        now=now,
    )
