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
from ossbss.catalog.pricing import BILLING_TIMINGS, IN_ADVANCE, OfferingPrice
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
    OfferingTerms,
    decomposition_for,
    get_offering,
    get_price,
    get_specification,
    offering_exists,
    offering_is_orderable,
    offering_terms,
    prices_for_offering,
    usage_tariffs_for_offering,
)
from ossbss.catalog.tariff import (
    FULL_PERCENT,
    MINUTES_PER_DAY,
    FairUsage,
    Increment,
    RateTier,
    Tariff,
    TimeBand,
    Zone,
    normalise_destination,
    select_tariff,
)
from ossbss.catalog.tariff_parsing import parse_tariff
from ossbss.catalog.tiers import Tier

__all__ = [
    "BILLING_TIMINGS",
    "CATALOG",
    "CATALOG_API",
    "CATEGORY",
    "FULL_PERCENT",
    "IN_ADVANCE",
    "LIFECYCLE",
    "LIFECYCLE_STATES",
    "MINUTES_PER_DAY",
    "PRODUCT_OFFERING",
    "PRODUCT_OFFERING_PRICE",
    "PRODUCT_SPECIFICATION",
    "RESOURCES",
    "Amount",
    "CustomerFacingSpec",
    "FairUsage",
    "Increment",
    "OfferingPrice",
    "OfferingTerms",
    "Parameter",
    "PriceAmount",
    "RateTier",
    "ResourceFacingSpec",
    "Tariff",
    "Tier",
    "TimeBand",
    "Zone",
    "characteristic_value",
    "decomposition_for",
    "get_offering",
    "get_price",
    "get_specification",
    "normalise_destination",
    "offering_exists",
    "offering_is_orderable",
    "offering_terms",
    "parse_tariff",
    "prices_for_offering",
    "router",
    "select_tariff",
    "usage_tariffs_for_offering",
]
