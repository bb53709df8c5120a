"""Reports over HTTP: a read-only extension API (not TM Forum), ``/reporting/v1/<report>``.

    GET /reporting/v1/revenue?from=2026-01&to=2026-03      billed revenue by offering and month
    GET /reporting/v1/mrr?at=2026-01-31                      monthly recurring revenue
    GET /reporting/v1/arpu?from=2026-01&to=2026-03
    GET /reporting/v1/aging?at=2026-02-15[&billingAccount.id=...]
    GET /reporting/v1/collection?from=2026-01&to=2026-03
    GET /reporting/v1/assurance?period=2026-01

``period=YYYY-MM`` is ``from`` = ``to``; with no months, the current month. ``format=csv``
answers the CSV export (text/csv) instead of JSON. Roles: admin, billing, readonly.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss.kernel.errors import InvalidInput
from ossbss.reporting.assurance import revenue_assurance
from ossbss.reporting.domain import decimal_text
from ossbss.reporting.export import as_text, to_csv
from ossbss.reporting.reports import REPORTS, Query
from ossbss.tmf import Edge, json_response

BASE_PATH = "/reporting/v1"
READ_ROLES = frozenset({"admin", "billing", "readonly"})
TAG = "Reporting (extension)"


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def json_row(row: Any) -> dict[str, str]:
    return {camel(name): value for name, value in as_text(row).items()}


def query_of(request: Request) -> Query:
    params = request.query_params
    period = params.get("period")
    if period and (params.get("from") or params.get("to")):
        raise InvalidInput("Invalid months", field="period", detail="period, or from/to")
    return Query(
        first=period or params.get("from"),
        last=period or params.get("to"),
        at=params.get("at"),
        billing_account_id=params.get("billingAccount.id"),
    )


def _assurance_document(session: Session, query: Query, now: datetime) -> dict[str, Any]:
    if query.first and query.last and query.first != query.last:
        raise InvalidInput("Invalid period", field="period", detail="assurance is per month")
    report = revenue_assurance(session, period=query.months(now))
    return {
        "period": {
            "startDateTime": report.period.start.isoformat(),
            "endDateTime": report.period.end.isoformat() if report.period.end else None,
        },
        "usage": [json_row(count) for count in report.usage],
        "quarantined": report.quarantined,
        "received": report.received,
        "rated": report.rated,
        "billed": report.billed,
        "waiting": report.waiting,
        "clean": report.clean,
        "gaps": [json_row(gap) for gap in report.gaps],
        "totals": [
            {"kind": kind, "currency": currency, "amount": decimal_text(amount, currency or None)}
            for (kind, currency), amount in report.totals.items()
        ],
    }


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    tags: list[str | Enum] = [TAG]

    for report in REPORTS.values():

        def add(name: str = report.name, title: str = report.title) -> None:
            chosen = REPORTS[name]

            @routes.get(
                f"{BASE_PATH}/{name}", tags=tags, summary=title, operation_id=f"report_{name}"
            )
            async def read(request: Request) -> Response:
                query = query_of(request)
                wanted = request.query_params.get("format", "json")
                if wanted not in ("json", "csv"):
                    raise InvalidInput("Invalid format", field="format", detail="json or csv")
                wants_csv = wanted == "csv"
                if name == "assurance" and not wants_csv:
                    document = await edge.read(
                        request,
                        READ_ROLES,
                        lambda s: _assurance_document(s, query, edge.clock.now()),
                    )
                    return json_response(document)
                rows = await edge.read(
                    request, READ_ROLES, lambda s: chosen.run(s, query, edge.clock.now())
                )
                if wants_csv:
                    return Response(
                        to_csv(rows, chosen.row_type),
                        media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
                    )
                return json_response([json_row(row) for row in rows])

        add()
    return routes
