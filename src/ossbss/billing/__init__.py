"""billing: TMF678 bill cycles, bill runs, bills, invoice documents, credit notes. The room's
only door."""

from ossbss.billing import models as _models  # noqa: F401 - registers the tables
from ossbss.billing.api import router
from ossbss.billing.bills import (
    DRAFT,
    ISSUED,
    OPEN_STATES,
    PARTIALLY_PAID,
    SETTLED,
    OpenBill,
    apply_payment,
    find_bill,
    open_bills,
    open_bills_for,
    reopen,
)

RESOURCES: tuple[()] = ()

__all__ = [
    "DRAFT",
    "ISSUED",
    "OPEN_STATES",
    "PARTIALLY_PAID",
    "RESOURCES",
    "SETTLED",
    "OpenBill",
    "apply_payment",
    "find_bill",
    "open_bills",
    "open_bills_for",
    "reopen",
    "router",
]

# Read-only figures for reporting.
from ossbss.billing.figures import (  # noqa: E402
    BilledLine,
    IssuedBill,
    RevenueLine,
    bill_lines,
    issued_bills,
    revenue_lines,
)

__all__ += [
    "BilledLine",
    "IssuedBill",
    "RevenueLine",
    "bill_lines",
    "issued_bills",
    "revenue_lines",
]
