"""Churn by month: products terminated in each month against the products active at its start
(the month's opening base). A pure rule over (start, termination) dates, and its query through
product_inventory's door."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import product_inventory
from ossbss.kernel.time import Period
from ossbss.reporting import domain


@dataclass(frozen=True, slots=True)
class ChurnRow:
    month: str
    active_at_start: int
    started: int
    terminated: int
    churn_percent: str  # terminated / active at start, "" when nothing was active


def churn_rows(
    lives: Iterable[tuple[datetime, datetime | None]], *, months: Period
) -> list[ChurnRow]:
    """Per month of ``months``: products live at its first instant, started in it, terminated
    in it (``lives``: each product's start and termination, None while it lives)."""
    spans = list(lives)
    rows = []
    for month in domain.months_in(months):
        start = domain.month_start(month)
        end = domain.next_month(start)
        active = sum(1 for began, ended in spans if began <= start and not _ended(ended, start))
        started = sum(1 for began, _ in spans if start <= began < end)
        terminated = sum(1 for _, ended in spans if ended is not None and start <= ended < end)
        rate = domain.percent(terminated, active)
        rows.append(ChurnRow(month, active, started, terminated, "" if rate is None else str(rate)))
    return rows


def _ended(termination: datetime | None, instant: datetime) -> bool:
    return termination is not None and termination <= instant


def churn(session: Session, *, months: Period) -> list[ChurnRow]:
    """Churn of every product in service at some time in ``months``."""
    live = product_inventory.products_live_in(session, period=months)
    return churn_rows(((p.started_at, p.terminated_at) for p in live), months=months)
