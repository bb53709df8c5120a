"""ordering: TMF622 product orders: validation, decomposition, orchestration, lifecycle."""

from ossbss.ordering.api import router
from ossbss.ordering.domain import ORDER_LIFECYCLE
from ossbss.ordering.orchestration import subscribe
from ossbss.ordering.resources import CANCEL_PRODUCT_ORDER, ORDERING_API, PRODUCT_ORDER, RESOURCES
from ossbss.ordering.retry import retry_order

__all__ = [
    "CANCEL_PRODUCT_ORDER",
    "ORDERING_API",
    "ORDER_LIFECYCLE",
    "PRODUCT_ORDER",
    "RESOURCES",
    "retry_order",
    "router",
    "subscribe",
]

# Cheap figures for the console's dashboard.
from ossbss.ordering.figures import FINAL_STATES, orders_in_flight

__all__ += ["FINAL_STATES", "orders_in_flight"]
