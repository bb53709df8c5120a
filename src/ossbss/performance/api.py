"""performance's HTTP routes (``/performance/v1``; TMF628/TMF649 resource names where known):
KPI series (performanceMeasurement), the metrics (performanceIndicatorSpecification),
thresholds (TMF649 threshold), availability, the monthly SLA report (JSON or CSV) and the
busiest links with their 95th percentile and forecast (linkUtilisation). docs/api.md."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period, format_datetime, parse_datetime
from ossbss.performance import capacity, outages, samples, sla, store, thresholds
from ossbss.tmf import Edge, json_response
from ossbss.tmf.api import read_json

BASE_PATH = "/performance/v1"
WRITE_ROLES = frozenset({"admin", "noc"})
TAGS: list[Any] = ["performance"]
INDICATORS = (
    (samples.IN_BPS, "bit/s", "Inbound traffic rate"),
    (samples.OUT_BPS, "bit/s", "Outbound traffic rate"),
    (samples.IN_UTILISATION, "%", "Inbound utilisation of the port speed"),
    (samples.OUT_UTILISATION, "%", "Outbound utilisation of the port speed"),
    (samples.OPER_STATUS, "ifOperStatus", "IF-MIB operational status (1 up, 2 down)"),
    (samples.REACHABLE, "boolean", "the device answered its poll (1) or not (0)"),
)


# --- query parameters --------------------------------------------------------------------


def _text(request: Request, name: str, *, required: bool = False) -> str | None:
    value = request.query_params.get(name)
    if required and not value:
        raise InvalidInput("Missing parameter", field=name)
    return value or None


def _instant(request: Request, name: str, default: datetime) -> datetime:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return parse_datetime(raw)
    except ValueError:
        raise InvalidInput("Invalid date-time", field=name, detail="ISO 8601") from None


def _period(request: Request, now: datetime, default_span: timedelta) -> Period:
    end = _instant(request, "end", now)
    start = _instant(request, "start", end - default_span)
    if start >= end:
        raise InvalidInput("Empty period", field="start", detail="start must be before end")
    return Period(start, end)


def _integer(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput("Invalid integer", field=name) from None
    if not low <= value <= high:
        raise InvalidInput("Out of range", field=name, detail=f"{low}..{high}")
    return value


def _number(request: Request, name: str, default: float) -> float:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput("Invalid number", field=name) from None
    if not math.isfinite(value):
        raise InvalidInput("Invalid number", field=name, detail="a finite number")
    return value


# --- bodies ------------------------------------------------------------------------------


def series_body(found: store.Series) -> dict[str, Any]:
    assert found.period.end is not None
    return {
        "@type": "PerformanceMeasurement",
        "resourceId": found.resource_id,
        "metric": found.metric,
        "start": format_datetime(found.period.start),
        "end": format_datetime(found.period.end),
        "step": found.step_seconds,
        "source": found.source,
        "point": [
            {
                "time": format_datetime(point.start),
                "min": point.minimum,
                "avg": point.average,
                "max": point.maximum,
                "count": point.count,
            }
            for point in found.points
        ],
    }


def threshold_body(view: thresholds.ThresholdView, base: str) -> dict[str, Any]:
    return {
        "id": view.id,
        "href": f"{base}{BASE_PATH}/threshold/{view.id}",
        "@type": "Threshold",
        "name": view.name,
        "metric": view.metric,
        "scope": view.scope,
        "scopeId": view.scope_id,
        "direction": view.direction,
        "raiseLevel": view.raise_level,
        "clearLevel": view.clear_level,
        "severity": view.severity,
        "forSamples": view.for_samples,
        "enabled": view.enabled,
        "createdAt": format_datetime(view.created_at),
        "changedAt": format_datetime(view.changed_at),
    }


def availability_body(found: outages.Availability) -> dict[str, Any]:
    assert found.period.end is not None
    return {
        "@type": "ServiceAvailability",
        "serviceId": found.service_id,
        "start": format_datetime(found.period.start),
        "end": format_datetime(found.period.end),
        "availability": found.percent,
        "availabilityPpm": found.availability_ppm,
        "downtimeSeconds": found.downtime_seconds,
        "outages": found.outages,
        "plannedOutages": found.planned_outages,
    }


SLA_COLUMNS = (
    "productId",
    "productName",
    "offeringName",
    "billingAccountId",
    "serviceIds",
    "measuredFrom",
    "measuredTo",
    "availability",
    "target",
    "breached",
    "downtimeSeconds",
    "outages",
    "creditPercent",
)


def sla_line(line: sla.SlaLine) -> dict[str, Any]:
    return {
        "productId": line.product_id,
        "productName": line.product_name,
        "offeringName": line.offering_name,
        "billingAccountId": line.billing_account_id,
        "serviceIds": list(line.service_ids),
        "measuredFrom": format_datetime(line.measured_from),
        "measuredTo": format_datetime(line.measured_to),
        "availability": line.availability_ppm / 10_000,
        "target": line.target_ppm / 10_000,
        "breached": line.breached,
        "downtimeSeconds": line.downtime_seconds,
        "outages": line.outages,
        "creditPercent": line.credit_percent,
    }


def sla_csv(report: sla.SlaReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SLA_COLUMNS)
    for line in report.lines:
        row = sla_line(line)
        row["serviceIds"] = " ".join(line.service_ids)
        row["availability"] = f"{line.availability_ppm / 10_000:.4f}"
        row["target"] = f"{line.target_ppm / 10_000:.4f}"
        writer.writerow(["" if row[c] is None else row[c] for c in SLA_COLUMNS])
    return out.getvalue()


def link_body(load: capacity.LinkLoad) -> dict[str, Any]:
    return {
        "@type": "LinkUtilisation",
        "linkId": load.link_id,
        "name": load.name,
        "portA": load.port_a,
        "portB": load.port_b,
        "percentile95": load.percentile_95,
        "busiest": {"portId": load.busiest[0], "metric": load.busiest[1]} if load.busiest else None,
        "forecastCrossing": load.forecast.isoformat() if load.forecast else None,
    }


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    return payload


# --- routes --------------------------------------------------------------------------------


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()

    @routes.get(BASE_PATH + "/performanceIndicatorSpecification", tags=TAGS)
    async def indicators(request: Request) -> Response:
        body = [
            {"@type": "PerformanceIndicatorSpecification", "name": n, "unit": u, "description": d}
            for n, u, d in INDICATORS
        ]
        await edge.read(request, None, lambda s: None)
        return json_response(body)

    @routes.get(
        BASE_PATH + "/performanceMeasurement",
        tags=TAGS,
        summary="A KPI series of one resource: ?resourceId=&metric=&start=&end=&step= (seconds)",
    )
    async def measurement(request: Request) -> Response:
        resource_id = _text(request, "resourceId", required=True)
        metric = _text(request, "metric", required=True)
        period = _period(request, edge.clock.now(), timedelta(days=1))
        step = _integer(request, "step", None, 0, 366 * 86400)

        def work(session: Session) -> store.Series:
            assert resource_id is not None
            assert metric is not None
            return store.series(
                session, resource_id=resource_id, metric=metric, period=period, step=step
            )

        return json_response(series_body(await edge.read(request, None, work)))

    @routes.get(BASE_PATH + "/threshold", tags=TAGS)
    async def list_thresholds(request: Request) -> Response:
        metric = _text(request, "metric")
        found = await edge.read(
            request, None, lambda s: thresholds.list_thresholds(s, metric=metric)
        )
        base = edge.base_url(request)
        return json_response([threshold_body(view, base) for view in found])

    @routes.post(BASE_PATH + "/threshold", tags=TAGS, status_code=201)
    async def create_threshold(request: Request) -> Response:
        payload = _object(await read_json(request))
        view = await edge.write(
            request,
            WRITE_ROLES,
            lambda s, now: thresholds.create_threshold(s, values=payload, now=now),
        )
        body = threshold_body(view, edge.base_url(request))
        return json_response(body, 201, {"Location": body["href"]})

    @routes.get(BASE_PATH + "/threshold/{id}", tags=TAGS)
    async def get_threshold(request: Request, id: str) -> Response:
        view = await edge.read(
            request, None, lambda s: thresholds.get_threshold(s, threshold_id=id)
        )
        return json_response(threshold_body(view, edge.base_url(request)))

    @routes.patch(BASE_PATH + "/threshold/{id}", tags=TAGS)
    async def patch_threshold(request: Request, id: str) -> Response:
        payload = _object(
            await read_json(request, ("application/json", "application/merge-patch+json"))
        )
        payload = {k: v for k, v in payload.items() if k not in ("id", "href", "@type")}
        view = await edge.write(
            request,
            WRITE_ROLES,
            lambda s, now: thresholds.update_threshold(
                s, threshold_id=id, changes=payload, now=now
            ),
        )
        return json_response(threshold_body(view, edge.base_url(request)))

    @routes.delete(BASE_PATH + "/threshold/{id}", tags=TAGS, status_code=204)
    async def delete_threshold(request: Request, id: str) -> Response:
        await edge.write(
            request, WRITE_ROLES, lambda s, now: thresholds.delete_threshold(s, threshold_id=id)
        )
        return Response(status_code=204)

    @routes.get(
        BASE_PATH + "/availability",
        tags=TAGS,
        summary="A service's availability over [start, end): ?serviceId=&start=&end=",
    )
    async def availability(request: Request) -> Response:
        service_id = _text(request, "serviceId", required=True)
        now = edge.clock.now()
        period = _period(request, now, timedelta(days=30))

        def work(session: Session) -> outages.Availability:
            assert service_id is not None
            return outages.availability(session, service_id=service_id, period=period, now=now)

        return json_response(availability_body(await edge.read(request, None, work)))

    @routes.get(
        BASE_PATH + "/slaReport",
        tags=TAGS,
        summary="The monthly SLA report: ?month=YYYY-MM; CSV with Accept: text/csv or format=csv",
    )
    async def sla_report(request: Request) -> Response:
        month = _text(request, "month", required=True)
        wants_csv = request.query_params.get(
            "format"
        ) == "csv" or "text/csv" in request.headers.get("accept", "")
        now = edge.clock.now()

        def work(session: Session) -> sla.SlaReport:
            assert month is not None
            return sla.sla_report(session, month=month, now=now)

        report = await edge.read(request, None, work)
        if wants_csv:
            return Response(
                sla_csv(report),
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="sla-{month}.csv"'},
            )
        return json_response(
            {
                "@type": "SlaReport",
                "month": report.month,
                "line": [sla_line(line) for line in report.lines],
            }
        )

    @routes.get(
        BASE_PATH + "/linkUtilisation",
        tags=TAGS,
        summary="The busiest links by 95th percentile: ?start=&end=&limit=&level=",
    )
    async def link_utilisation(request: Request) -> Response:
        now = edge.clock.now()
        period = _period(request, now, timedelta(days=30))
        limit = _integer(request, "limit", 20, 1, 1000) or 20
        level = _number(request, "level", 80.0)
        found = await edge.read(
            request,
            None,
            lambda s: capacity.top_links(s, period=period, now=now, limit=limit, level=level),
        )
        return json_response([link_body(load) for load in found])

    return routes
