"""The reports by name, with what each takes, for the CLI and the HTTP API: one place that
turns a request (months, an instant, a period) into rows and a row type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period, parse_datetime
from ossbss.reporting import churn, domain, figures
from ossbss.reporting.assurance import Gap, revenue_assurance
from ossbss.reporting.export import assurance_rows


@dataclass(frozen=True, slots=True)
class Query:
    """What was asked: months ``first``..``last`` (YYYY-MM), or an instant ``at``."""

    first: str | None = None
    last: str | None = None
    at: str | None = None
    billing_account_id: str | None = None

    def months(self, now: datetime) -> Period:
        if self.first is None and self.last is None:
            return domain.months(domain.month_of(now))
        return domain.months(self.first or self.last or "", self.last or self.first)

    def instant(self, now: datetime) -> datetime:
        if not self.at:
            return now
        text = self.at.strip()
        try:
            return parse_datetime(text if "T" in text else f"{text}T00:00:00Z")
        except ValueError:
            raise InvalidInput("Invalid instant", field="at", detail=text) from None


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    title: str
    row_type: type[Any]
    run: Callable[[Session, Query, datetime], list[Any]]


def _assurance(session: Session, query: Query, now: datetime) -> list[Any]:
    months = query.months(now)
    if query.last and query.first and query.last != query.first:
        raise InvalidInput("Invalid period", field="period", detail="assurance is per month")
    return assurance_rows(revenue_assurance(session, period=months))


REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report(
            "revenue",
            "Billed revenue by offering and month (tax excluded)",
            figures.RevenueRow,
            lambda s, q, now: figures.revenue_by_product(s, months=q.months(now)),
        ),
        Report(
            "mrr",
            "Monthly recurring revenue",
            figures.MrrRow,
            lambda s, q, now: figures.mrr(s, at=q.instant(now)),
        ),
        Report(
            "arpu",
            "Average revenue per billed account",
            figures.ArpuRow,
            lambda s, q, now: figures.arpu(s, months=q.months(now)),
        ),
        Report(
            "aging",
            "Receivables aging (tax included)",
            figures.AgingRow,
            lambda s, q, now: figures.aging(
                s, as_of=q.instant(now), billing_account_id=q.billing_account_id
            ),
        ),
        Report(
            "collection",
            "Collection rate by month of issue",
            figures.CollectionRow,
            lambda s, q, now: figures.collection_rate(s, months=q.months(now)),
        ),
        Report("assurance", "Revenue assurance", Gap, _assurance),
    )
}

# Churn (the console's reports page): products terminated per month vs active at its start.
REPORTS["churn"] = Report(
    "churn",
    "Churn: products terminated per month vs active at its start",
    churn.ChurnRow,
    lambda s, q, now: churn.churn(s, months=q.months(now)),
)
