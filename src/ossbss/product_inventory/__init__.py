"""product_inventory: TMF637 products owned by customers (the installed base)."""

from ossbss.product_inventory.api import router
from ossbss.product_inventory.domain import ABORTED, LIFECYCLE, STATUSES
from ossbss.product_inventory.resources import PRODUCT, PRODUCT_INVENTORY_API, RESOURCES
from ossbss.product_inventory.service import create_product, get_product, update_product

__all__ = [
    "ABORTED",
    "LIFECYCLE",
    "PRODUCT",
    "PRODUCT_INVENTORY_API",
    "RESOURCES",
    "STATUSES",
    "create_product",
    "get_product",
    "router",
    "update_product",
]

# Read-only figures for reporting.
from ossbss.product_inventory.figures import (
    LiveProduct,
    RecurringPrice,
    products_live_in,
)

__all__ += ["LiveProduct", "RecurringPrice", "products_live_in"]
