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
from ossbss.billing.documents import (
    DocumentRenderer,
    InvoiceView,
    Operator,
    document_href,
    invoice_view,
    render_bill_pdf,
    render_pending,
)
from ossbss.billing.documents import configure as configure_documents

RESOURCES: tuple[()] = ()

__all__ = [
    "DRAFT",
    "ISSUED",
    "OPEN_STATES",
    "PARTIALLY_PAID",
    "RESOURCES",
    "SETTLED",
    "DocumentRenderer",
    "InvoiceView",
    "OpenBill",
    "Operator",
    "apply_payment",
    "configure_documents",
    "document_href",
    "find_bill",
    "invoice_view",
    "open_bills",
    "open_bills_for",
    "render_bill_pdf",
    "render_pending",
    "reopen",
    "router",
]
