"""Events provisioning publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ossbss.kernel import Event


@dataclass(frozen=True, kw_only=True)
class ServiceOrderFinished(Event):
    """A service order reached a final state: ``completed`` or ``failed`` (compensated)."""

    topic = "provisioning.service-order-finished"

    service_order_id: str
    product_order_id: str
    product_order_item_id: str
    product_id: str
    state: str
    reason: str
    # The customer-facing services that realise the product (for an add that completed).
    services: tuple[str, ...]
    occurred_at: datetime
