"""product_inventory: TMF637 products owned by customers (the installed base)."""

from ossbss.product_inventory.api import router
from ossbss.product_inventory.by_account import products_of_account
from ossbss.product_inventory.domain import ABORTED, LIFECYCLE, STATUSES
from ossbss.product_inventory.resources import PRODUCT, PRODUCT_INVENTORY_API, RESOURCES
from ossbss.product_inventory.service import create_product, get_product, update_product
from ossbss.product_inventory.timeline import ChargePeriod, charge_periods, seed_charge_periods

__all__ = [
    "ABORTED",
    "LIFECYCLE",
    "PRODUCT",
    "PRODUCT_INVENTORY_API",
    "RESOURCES",
    "STATUSES",
    "ChargePeriod",
    "charge_periods",
    "create_product",
    "get_product",
    "products_of_account",
    "router",
    "seed_charge_periods",
    "update_product",
]

# Read-only figures for reporting.
from ossbss.product_inventory.figures import (
    LiveProduct,
    RecurringPrice,
    products_live_in,
)

__all__ += ["LiveProduct", "RecurringPrice", "products_live_in"]

# A product document's recurring prices (billing: SLA credits are a share of them).
from ossbss.product_inventory.figures import recurring_prices  # noqa: E402

__all__ += ["recurring_prices"]

# Cheap current figures for the console's dashboard.
from ossbss.product_inventory.figures import (  # noqa: E402
    PriceGroup,
    active_subscribers,
    earning_price_groups,
)

__all__ += ["PriceGroup", "active_subscribers", "earning_price_groups"]
