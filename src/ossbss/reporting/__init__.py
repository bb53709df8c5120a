"""reporting: read-only revenue, MRR, ARPU, aging and collection figures, and revenue
assurance (usage received vs rated vs billed; products vs recurring charges billed). The top
room: it reads every room through its door and nothing imports it but the composition roots."""

from ossbss.reporting.api import router
from ossbss.reporting.assurance import (
    ANOMALY,
    LEAKAGE,
    Assurance,
    Gap,
    UsageCount,
    revenue_assurance,
)
from ossbss.reporting.export import as_text, assurance_rows, to_csv
from ossbss.reporting.figures import (
    AgingRow,
    ArpuRow,
    CollectionRow,
    MrrRow,
    RevenueRow,
    aging,
    arpu,
    collection_rate,
    current_mrr,
    mrr,
    revenue_by_product,
)
from ossbss.reporting.reports import REPORTS, Query

RESOURCES: tuple[()] = ()

__all__ = [
    "ANOMALY",
    "LEAKAGE",
    "REPORTS",
    "RESOURCES",
    "AgingRow",
    "ArpuRow",
    "Assurance",
    "CollectionRow",
    "Gap",
    "MrrRow",
    "Query",
    "RevenueRow",
    "UsageCount",
    "aging",
    "arpu",
    "as_text",
    "assurance_rows",
    "collection_rate",
    "current_mrr",
    "mrr",
    "revenue_assurance",
    "revenue_by_product",
    "router",
    "to_csv",
]

# Churn by month (products terminated vs active at the month's start).
from ossbss.reporting.churn import ChurnRow, churn, churn_rows  # noqa: E402

__all__ += ["ChurnRow", "churn", "churn_rows"]

# MRR month by month from one read of the products (the console's reports page).
from ossbss.reporting.series import MrrMonthRow, mrr_by_month  # noqa: E402

__all__ += ["MrrMonthRow", "mrr_by_month"]
