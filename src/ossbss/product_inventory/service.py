"""What the rooms above may ask of product_inventory (keyword-only; caller owns the transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss.product_inventory.resources import PRODUCT
from ossbss.tmf import Document, create_resource, get_resource, patch_resource


def create_product(session: Session, *, document: dict[str, Any], now: datetime) -> Document:
    return create_resource(session, resource=PRODUCT, payload=document, now=now)


def update_product(
    session: Session, *, product_id: str, changes: dict[str, Any], now: datetime
) -> Document:
    """A merge patch through the same rules (lifecycle) and notifications as PATCH."""
    return patch_resource(session, resource=PRODUCT, resource_id=product_id, patch=changes, now=now)


def get_product(session: Session, *, product_id: str) -> Document:
    return get_resource(session, resource=PRODUCT, resource_id=product_id)
