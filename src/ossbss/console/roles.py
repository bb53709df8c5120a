"""Who may see and do what in the console. ``admin`` may do anything staff may (iam.may);
``readonly`` sees every staff page and posts nothing; a customer sees only the self-care
pages, and only their own data."""

from __future__ import annotations

from ossbss import catalog, iam

STAFF = iam.ROLES  # every staff page is readable by every staff role
CSR = frozenset({"csr"})  # customers, orders, suspend/resume, tickets on a customer's behalf
BILLING = frozenset({"billing"})  # bill runs, payments, bill adjustments, dunning
NOC = frozenset({"noc"})  # alarms, tickets, devices
CSR_OR_BILLING = CSR | BILLING
TICKET_WORKERS = CSR | NOC  # open, note and move tickets
# Offerings and prices: whoever the catalog API lets write them (admin today).
CATALOG = catalog.PRODUCT_OFFERING.write_roles | catalog.PRODUCT_OFFERING_PRICE.write_roles
CUSTOMER = frozenset({iam.CUSTOMER})  # the self-care portal
