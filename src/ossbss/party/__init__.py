"""party: TMF632 individuals and organisations, TMF629 customers."""

from ossbss.party.api import router
from ossbss.party.domain import (
    normalise_contact_media,
    normalise_country,
    normalise_email,
    normalise_phone,
)
from ossbss.party.resources import (
    CUSTOMER,
    CUSTOMER_API,
    INDIVIDUAL,
    ORGANIZATION,
    PARTY_API,
    RESOURCES,
)
from ossbss.party.search import CustomerHit, CustomerPage, search_customers
from ossbss.party.service import customer_names, get_customer, party_exists

__all__ = [
    "CUSTOMER",
    "CUSTOMER_API",
    "INDIVIDUAL",
    "ORGANIZATION",
    "PARTY_API",
    "RESOURCES",
    "CustomerHit",
    "CustomerPage",
    "customer_names",
    "get_customer",
    "normalise_contact_media",
    "normalise_country",
    "normalise_email",
    "normalise_phone",
    "party_exists",
    "router",
    "search_customers",
]
