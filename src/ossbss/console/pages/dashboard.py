"""The staff dashboard: the operator's vital signs on one page. Every figure is one COUNT,
SUM or GROUP BY in the room that owns the data, so the page costs the same at 1,000 or
100,000 customers (docs/adr/0039-console-speed.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from babel.numbers import get_currency_precision
from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss import assurance, billing, ordering, product_inventory, reporting
from ossbss.console import roles
from ossbss.console.web import Web
from ossbss.iam import Principal
from ossbss.kernel.time import Period

# A running SLA clock due within this long counts as close to breaching.
NEAR_BREACH = timedelta(hours=4)
NEAR_BREACH_SHOWN = 15


@dataclass(frozen=True, slots=True)
class Revenue:
    currency: str
    last_month_minor: int
    this_month_minor: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    now: datetime
    active_subscribers: int
    mrr: dict[str, int]  # by currency, minor units
    mrr_products: int
    months: tuple[str, str]  # last month's and this month's labels
    revenue: list[Revenue]
    orders_in_flight: dict[str, int]
    alarms: dict[str, int]
    near_breach: list[assurance.DueTicket]
    near_breach_total: int

    @property
    def orders_in_flight_total(self) -> int:
        return sum(self.orders_in_flight.values())

    @property
    def open_alarms(self) -> int:
        return sum(self.alarms.values())

    def revenue_datasets(self) -> list[dict[str, object]]:
        """The chart's bars: one dataset per currency, last month then this month (major
        units: Chart.js draws numbers, the table beside it shows the exact money)."""
        datasets: list[dict[str, object]] = []
        for row in self.revenue:
            scale = 10 ** get_currency_precision(row.currency)
            amounts = [row.last_month_minor / scale, row.this_month_minor / scale]
            datasets.append({"label": row.currency, "data": amounts})
        return datasets


def month_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def previous_month_start(start: datetime) -> datetime:
    return month_start(start - timedelta(days=1))


def next_month_start(start: datetime) -> datetime:
    return month_start(start + timedelta(days=32))


def load_dashboard(session: Session, *, now: datetime) -> Dashboard:
    this_start = month_start(now.astimezone(UTC))
    last_start = previous_month_start(this_start)
    last_month, this_month = billing.billed_revenue(
        session,
        months=[Period(last_start, this_start), Period(this_start, next_month_start(this_start))],
    )
    mrr: dict[str, int] = {}
    mrr_products = 0
    for row in reporting.current_mrr(session):
        mrr[row.currency] = mrr.get(row.currency, 0) + row.mrr_minor
        mrr_products += row.products
    due = assurance.tickets_near_breach(session, now=now, within=NEAR_BREACH)
    return Dashboard(
        now=now,
        active_subscribers=product_inventory.active_subscribers(session),
        mrr=dict(sorted(mrr.items())),
        mrr_products=mrr_products,
        months=(f"{last_start:%B %Y}", f"{this_start:%B %Y}"),
        revenue=[
            Revenue(currency, last_month.get(currency, 0), this_month.get(currency, 0))
            for currency in sorted(this_month.keys() | last_month.keys())
        ],
        orders_in_flight=dict(sorted(ordering.orders_in_flight(session).items())),
        alarms=assurance.alarm_counts(session),
        near_breach=due[:NEAR_BREACH_SHOWN],
        near_breach_total=len(due),
    )


def register(router: APIRouter, web: Web) -> None:
    @router.get("/dashboard")
    async def dashboard(request: Request) -> Response:
        now = web.clock.now()

        def work(session: Session, viewer: Principal) -> Dashboard:
            return load_dashboard(session, now=now)

        view = await web.read(request, roles.STAFF, work)
        return web.render(request, "dashboard/index.html", view=view)
