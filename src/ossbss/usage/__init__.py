"""usage: TMF635 usage records: collectors (RADIUS accounting, CDR files), de-duplication,
subscriber resolution and suspense, normalisation. The room's only door."""

from ossbss.usage.accounting_contract import UsageSink
from ossbss.usage.api import router
from ossbss.usage.billing import BillableUsage, billable_usage, mark_billed_through
from ossbss.usage.cdr import FileReport, import_file
from ossbss.usage.cdr import Mapping as CdrMapping
from ossbss.usage.cdr_pickup import CdrPickup
from ossbss.usage.counters import current_identities, rated_quantities
from ossbss.usage.domain import Identity, IngestReport, Subscriber, UsageInput
from ossbss.usage.handlers import subscribe
from ossbss.usage.ingest import ingest, quarantine
from ossbss.usage.radius_accounting import CollectorStatus, CollectorThread, RadiusAccountingServer
from ossbss.usage.rating import mark_billed, record_rating, records_to_rate
from ossbss.usage.resources import (
    RESOURCES,
    USAGE,
    USAGE_API,
    USAGE_SPECIFICATION,
    ensure_specifications,
)
from ossbss.usage.subscribers import end_subscriber, find_subscriber, register_subscriber

__all__ = [
    "RESOURCES",
    "USAGE",
    "USAGE_API",
    "USAGE_SPECIFICATION",
    "BillableUsage",
    "CdrMapping",
    "CdrPickup",
    "CollectorStatus",
    "CollectorThread",
    "FileReport",
    "Identity",
    "IngestReport",
    "RadiusAccountingServer",
    "Subscriber",
    "UsageInput",
    "UsageSink",
    "billable_usage",
    "current_identities",
    "end_subscriber",
    "ensure_specifications",
    "find_subscriber",
    "import_file",
    "ingest",
    "mark_billed",
    "mark_billed_through",
    "quarantine",
    "rated_quantities",
    "record_rating",
    "records_to_rate",
    "register_subscriber",
    "router",
    "subscribe",
]

# Read-only figures for reporting.
from ossbss.usage.figures import (
    SUSPENSE,
    UnbilledRecord,
    UsageFigure,
    quarantined,
    unbilled_rated,
    usage_figures,
)

__all__ += [
    "SUSPENSE",
    "UnbilledRecord",
    "UsageFigure",
    "quarantined",
    "unbilled_rated",
    "usage_figures",
]

# A customer's usage by day (the console's customer page).
from ossbss.usage.daily import DailyUsage, daily_usage  # noqa: E402

__all__ += ["DailyUsage", "daily_usage"]
