"""billing: TMF678 bill cycles, bill runs, bills, invoice documents, credit notes. The room's
only door."""

from ossbss.billing import models as _models  # noqa: F401 - registers the tables
from ossbss.billing.adjustments import (
    PendingAdjustment,
    add_adjustment,
    mark_adjustments_billed,
    pending_adjustments,
)
from ossbss.billing.api import router
from ossbss.billing.bills import (
    DRAFT,
    ISSUED,
    OPEN_STATES,
    PARTIALLY_PAID,
    SETTLED,
    OpenBill,
    apply_payment,
    apply_payments,
    find_bill,
    open_bills,
    open_bills_for,
    reopen,
)
from ossbss.billing.charges import (
    AccountCharges,
    ChargeFailure,
    ChargeLine,
    accounts_in_cycle,
    compute_charges,
)
from ossbss.billing.compare import AccountComparison, LineDifference, compare_run
from ossbss.billing.credit import credit_note
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
from ossbss.billing.issue import approve_run, charge_postings
from ossbss.billing.numbering import next_bill_numbers
from ossbss.billing.run import (
    AccountSource,
    ChargeSource,
    CurrencyTotals,
    RunSummary,
    discard_run,
    list_runs,
    run_bills,
    run_failures,
    run_summary,
    start_run,
)

RESOURCES: tuple[()] = ()

__all__ = [
    "DRAFT",
    "ISSUED",
    "OPEN_STATES",
    "PARTIALLY_PAID",
    "RESOURCES",
    "SETTLED",
    "AccountCharges",
    "AccountComparison",
    "AccountSource",
    "ChargeFailure",
    "ChargeLine",
    "ChargeSource",
    "CurrencyTotals",
    "DocumentRenderer",
    "InvoiceView",
    "LineDifference",
    "OpenBill",
    "Operator",
    "PendingAdjustment",
    "RunSummary",
    "accounts_in_cycle",
    "add_adjustment",
    "apply_payment",
    "apply_payments",
    "approve_run",
    "charge_postings",
    "compare_run",
    "compute_charges",
    "configure_documents",
    "credit_note",
    "discard_run",
    "document_href",
    "find_bill",
    "invoice_view",
    "list_runs",
    "mark_adjustments_billed",
    "next_bill_numbers",
    "open_bills",
    "open_bills_for",
    "pending_adjustments",
    "render_bill_pdf",
    "render_pending",
    "reopen",
    "router",
    "run_bills",
    "run_failures",
    "run_summary",
    "start_run",
]

# Read-only figures for reporting.
from ossbss.billing.figures import (  # noqa: E402
    BilledLine,
    IssuedBill,
    RevenueLine,
    bill_lines,
    billed_revenue,
    issued_bills,
    revenue_lines,
)

__all__ += [
    "BilledLine",
    "IssuedBill",
    "RevenueLine",
    "bill_lines",
    "billed_revenue",
    "issued_bills",
    "revenue_lines",
]

# Reactions to events (performance's SLA breaches become credits).
from ossbss.billing.handlers import subscribe  # noqa: E402
from ossbss.billing.sla_credits import SlaCredit  # noqa: E402, F401  (registers the table)

__all__ += ["subscribe"]

# A customer's latest bills (the console's customer page).
from ossbss.billing.by_account import latest_bills  # noqa: E402

__all__ += ["latest_bills"]
