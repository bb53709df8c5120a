"""Retrying a failed product order: a new order for its failed items, placed once.

A failed (or partial) TMF622 order is final, and its failed add items left nothing behind
(the product aborted, the services terminated, the addresses back in their pools), so the
retry is an order like any other: the same customer, account, offerings and characteristics,
checked again against today's catalog, activated from scratch. The failed order keeps its
history and a note naming the retry; a second retry of the same order returns the first
(an idempotency key per failed order), so a double click places one order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss.kernel.errors import InvalidStateTransition
from ossbss.kernel.time import format_datetime
from ossbss.ordering import domain
from ossbss.ordering.resources import PRODUCT_ORDER
from ossbss.tmf import Document, create_resource, get_resource, patch_resource

RETRYABLE = frozenset({"failed", "partial"})
# What a client sent on an item; the rest (state, itemPrice, ...) the server sets again.
_ITEM_FIELDS = ("id", "action", "productOffering", "billingAccount", "quantity")


def retry_order(session: Session, *, order_id: str, now: datetime) -> Document:
    """Place (once) a new order for the failed items of ``order_id``; returns it.
    Conflict if the order has not failed. NotFound if unknown."""
    order = get_resource(session, resource=PRODUCT_ORDER, resource_id=order_id)
    state = order.get("state")
    failed = [item for item in order.get("productOrderItem") or [] if item.get("state") == "failed"]
    if state not in RETRYABLE or not failed:
        raise InvalidStateTransition(
            "Nothing to retry",
            field="state",
            detail=f"order {order_id} is {state}; only a failed or partial order's failed "
            "items can be retried",
        )
    retry = create_resource(
        session,
        resource=PRODUCT_ORDER,
        payload=_retry_body(order, failed),
        now=now,
        idempotency_key=f"retry-of-{order_id}",
    )
    note = f"Retried as product order {retry['id']}"
    notes = list(order.get("note") or [])
    if all(existing.get("text") != note for existing in notes):
        notes.append(
            {
                "id": str(len(notes) + 1),
                "text": note,
                "date": format_datetime(now),
                "author": "ossbss",
            }
        )
        patch_resource(
            session,
            resource=PRODUCT_ORDER,
            resource_id=order_id,
            patch={"note": notes},
            now=now,
            trusted=True,
        )
    return retry


def _retry_body(order: Document, failed: list[Document]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "relatedParty": order.get("relatedParty") or [],
        "productOrderItem": [_retry_item(item) for item in failed],
        "note": [{"id": "1", "text": f"Retry of product order {order['id']}", "author": "ossbss"}],
    }
    for field in ("billingAccount", "channel", "description", "priority"):
        if order.get(field) is not None:
            body[field] = order[field]
    return body


def _retry_item(item: Document) -> dict[str, Any]:
    retry = {field: item[field] for field in _ITEM_FIELDS if item.get(field) is not None}
    product = dict(item.get("product") or {})
    if domain.intent(item) == "add":
        product.pop("id", None)  # the failed attempt's product was aborted; a new one is made
    retry["product"] = product
    return retry
