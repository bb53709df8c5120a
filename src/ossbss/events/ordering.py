"""Events ordering publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ossbss.kernel import Event


@dataclass(frozen=True, kw_only=True)
class ProductOrderAccepted(Event):
    """A product order passed validation (``acknowledged``): it is decomposed after commit."""

    topic = "ordering.product-order-accepted"

    product_order_id: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class ProductOrderCancelRequested(Event):
    topic = "ordering.product-order-cancel-requested"

    product_order_id: str
    cancel_id: str
    occurred_at: datetime
