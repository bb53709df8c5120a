"""catalog: TMF620 catalogs, categories, product specifications, offerings and their prices."""

from ossbss.catalog.amounts import Amount, PriceAmount
from ossbss.catalog.api import router
from ossbss.catalog.decomposition import (
    CustomerFacingSpec,
    Parameter,
    ResourceFacingSpec,
    characteristic_value,
)
from ossbss.catalog.domain import LIFECYCLE, LIFECYCLE_STATES
from ossbss.catalog.pricing import OfferingPrice, Tier
from ossbss.catalog.resources import (
    CATALOG,
    CATALOG_API,
    CATEGORY,
    PRODUCT_OFFERING,
    PRODUCT_OFFERING_PRICE,
    PRODUCT_SPECIFICATION,
    RESOURCES,
)
from ossbss.catalog.service import (
    decomposition_for,
    get_offering,
    get_price,
    get_specification,
    offering_exists,
    offering_is_orderable,
    prices_for_offering,
)

__all__ = [
    "CATALOG",
    "CATALOG_API",
    "CATEGORY",
    "LIFECYCLE",
    "LIFECYCLE_STATES",
    "PRODUCT_OFFERING",
    "PRODUCT_OFFERING_PRICE",
    "PRODUCT_SPECIFICATION",
    "RESOURCES",
    "Amount",
    "CustomerFacingSpec",
    "OfferingPrice",
    "Parameter",
    "PriceAmount",
    "ResourceFacingSpec",
    "Tier",
    "characteristic_value",
    "decomposition_for",
    "get_offering",
    "get_price",
    "get_specification",
    "offering_exists",
    "offering_is_orderable",
    "prices_for_offering",
    "router",
]
