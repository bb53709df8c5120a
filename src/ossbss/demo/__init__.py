"""The demo operator, Northwind Telecom: an ISP + MVNO catalog in euros and deterministic
customers with billing accounts (``ossbss demo load``).

A composition module above the rooms: it writes only through their public doors
(``ossbss.tmf`` with the rooms' resource constants), so the demo data passes the same rules as
the API. The data itself is pure and identical on every run: ``catalog_data()`` and
``customer_payloads(n)``.
"""

from ossbss.demo.assurance import AssuranceReport, fault_history
from ossbss.demo.billing import BillingReport, bill_history
from ossbss.demo.catalog_data import Entry, catalog_data
from ossbss.demo.live import Collectors, LiveNetwork
from ossbss.demo.loader import LoadReport, is_empty, load
from ossbss.demo.logins import DEMO_PASSWORD, Login, create_logins
from ossbss.demo.people import CustomerData, customer_payloads, make_iban

__all__ = [
    "DEMO_PASSWORD",
    "AssuranceReport",
    "BillingReport",
    "Collectors",
    "CustomerData",
    "Entry",
    "LiveNetwork",
    "LoadReport",
    "Login",
    "bill_history",
    "catalog_data",
    "create_logins",
    "customer_payloads",
    "fault_history",
    "is_empty",
    "load",
    "make_iban",
]
