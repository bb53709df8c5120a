"""Reports: revenue by offering and month, MRR and ARPU, churn, aging and the busiest links, as
charts over a month range, each with its CSV (reporting's rows through ``reporting.to_csv``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRouter
from sqlalchemy.orm import Session

from ossbss import performance, reporting
from ossbss.console import roles
from ossbss.console.pages.report_cache import ReportCache
from ossbss.console.web import Web
from ossbss.iam import Principal
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.money import minor_unit_exponent
from ossbss.kernel.time import Period

DEFAULT_MONTHS = 6
MAX_MONTHS = 24
LINKS_SHOWN = 10
AGING_COLUMNS = (
    ("current", "Not due"),
    ("days_0_to_30", "0-30 days"),
    ("days_31_to_60", "31-60 days"),
    ("days_61_to_90", "61-90 days"),
    ("days_over_90", "90+ days"),
)


@dataclass(frozen=True, slots=True)
class LinkRow:
    link_id: str
    name: str
    port_a: str
    port_b: str
    percentile_95: str
    forecast: str  # the day the link is forecast to cross 80%, "" if never


# -- the month range ---------------------------------------------------------------------------


def _month_text(instant: datetime) -> str:
    return f"{instant.year:04d}-{instant.month:02d}"


def month_range(first: str, last: str, *, now: datetime) -> tuple[str, str, Period]:
    """``first``..``last`` (YYYY-MM, included); defaults: the last six months up to now's."""
    last = last.strip() or _month_text(now)
    if not first.strip():
        closing = reporting.Query(first=last, last=last).months(now).start  # validates ``last``
        index = closing.year * 12 + closing.month - 1 - (DEFAULT_MONTHS - 1)
        first = f"{index // 12:04d}-{index % 12 + 1:02d}"
    months = reporting.Query(first=first.strip(), last=last).months(now)
    assert months.end is not None
    span = (months.end.year - months.start.year) * 12 + months.end.month - months.start.month
    if span > MAX_MONTHS:
        raise InvalidInput("Too many months", field="from", detail=f"at most {MAX_MONTHS}")
    return first.strip(), last, months


def _months_of(period: Period) -> list[str]:
    assert period.end is not None
    found, cursor = [], period.start
    while cursor < period.end:
        found.append(_month_text(cursor))
        cursor = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
    return found


# -- the figures -------------------------------------------------------------------------------


def _major(minor: int, currency: str) -> float:
    return round(float(minor) / float(10 ** int(minor_unit_exponent(currency))), 2)


# A link's 95th percentile is a monthly figure (burstable billing): over the range's last 30
# days, whatever the range, which also keeps each series within the store's point limit.
LINK_WINDOW = timedelta(days=30)


def link_rows(session: Session, *, months: Period, now: datetime) -> list[LinkRow]:
    end = min(months.end or now, now)
    period = Period(max(months.start, end - LINK_WINDOW), end)
    return [
        LinkRow(
            load.link_id,
            load.name or "",
            load.port_a,
            load.port_b,
            "" if load.percentile_95 is None else f"{load.percentile_95:.1f}",
            load.forecast.isoformat() if load.forecast else "",
        )
        for load in performance.top_links(session, period=period, now=now, limit=LINKS_SHOWN)
    ]


@dataclass(frozen=True, slots=True)
class Export:
    row_type: type[Any]
    rows: Callable[[Session, Period, datetime], Sequence[Any]]


EXPORTS: dict[str, Export] = {
    "revenue": Export(
        reporting.RevenueRow, lambda s, m, now: reporting.revenue_by_product(s, months=m)
    ),
    "mrr": Export(
        reporting.MrrMonthRow, lambda s, m, now: reporting.mrr_by_month(s, months=m, now=now)
    ),
    "arpu": Export(reporting.ArpuRow, lambda s, m, now: reporting.arpu(s, months=m)),
    "churn": Export(reporting.ChurnRow, lambda s, m, now: reporting.churn(s, months=m)),
    "aging": Export(reporting.AgingRow, lambda s, m, now: reporting.aging(s, as_of=now)),
    "links": Export(LinkRow, lambda s, m, now: link_rows(s, months=m, now=now)),
}


def _dataset(label: str, data: list[float | int]) -> dict[str, Any]:
    return {"label": label, "data": data}


def build_charts(rows: dict[str, Sequence[Any]], months: list[str]) -> dict[str, Any]:
    """Chart.js labels and datasets from the report rows (amounts in major units)."""
    revenue: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows["revenue"]:
        label = f"{row.name or row.offering_id or 'other'} ({row.currency})"
        revenue[label][row.month] = revenue[label].get(row.month, 0.0) + _major(
            row.total_minor, row.currency
        )
    mrr: dict[str, dict[str, float]] = defaultdict(dict)
    for point in rows["mrr"]:
        mrr[f"MRR ({point.currency})"][point.month] = _major(point.mrr_minor, point.currency)
    for arpu_row in rows["arpu"]:
        mrr[f"ARPU ({arpu_row.currency})"][arpu_row.month] = _major(
            arpu_row.arpu_minor, arpu_row.currency
        )

    def series(values: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
        return [_dataset(label, [by.get(m, 0) for m in months]) for label, by in values.items()]

    churn = rows["churn"]
    aging = rows["aging"]
    links = rows["links"]
    return {
        "months": months,
        "revenue": series(revenue),
        "mrr": series(mrr),
        "churn": [
            _dataset("Active at month start", [r.active_at_start for r in churn]),
            _dataset("Terminated", [r.terminated for r in churn]),
        ],
        "churn_months": [r.month for r in churn],
        "aging_labels": [label for _, label in AGING_COLUMNS],
        "aging": [
            _dataset(
                row.currency,
                [_major(getattr(row, f"{name}_minor"), row.currency) for name, _ in AGING_COLUMNS],
            )
            for row in aging
        ],
        "link_labels": [row.name or row.link_id for row in links],
        "links": [_dataset("95th percentile %", [float(row.percentile_95 or 0) for row in links])],
    }


def register(router: APIRouter, web: Web) -> None:
    cache = ReportCache()

    @router.get("/reports")
    async def reports(request: Request) -> Response:
        params = request.query_params
        now = web.clock.now()
        first, last, months = month_range(params.get("from", ""), params.get("to", ""), now=now)
        fresh = params.get("fresh") == "1"

        def load(session: Session, viewer: Principal) -> tuple[datetime, dict[str, Any]]:
            return cache.get(
                (first, last, "all"),
                now=now,
                fresh=fresh,
                compute=lambda: {
                    name: export.rows(session, months, now) for name, export in EXPORTS.items()
                },
            )

        computed_at, rows = await web.read(request, roles.STAFF, load)
        return web.render(
            request,
            "reports/index.html",
            computed_at=computed_at,
            rows=rows,
            charts=build_charts(rows, _months_of(months)),
            first=first,
            last=last,
            range_query=f"?from={first}&to={last}",
        )

    @router.get("/reports/{name}.csv")
    async def csv(request: Request, name: str) -> Response:
        export = EXPORTS.get(name)
        if export is None:
            raise NotFound("No such report", field="name", detail=name)
        params = request.query_params
        now = web.clock.now()
        first, last, months = month_range(params.get("from", ""), params.get("to", ""), now=now)

        def load(session: Session, viewer: Principal) -> Sequence[Any]:
            shown = cache.peek((first, last, "all"), now=now)
            if shown is not None:  # the rows the page just drew, when it did
                return list(shown[name])
            return list(export.rows(session, months, now))

        rows = await web.read(request, roles.STAFF, load)
        return Response(
            reporting.to_csv(rows, export.row_type),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
