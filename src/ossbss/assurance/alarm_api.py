"""TMF642 Alarm Management over HTTP, served at our base path and at the spec's own
(``/tmf-api/alarmManagement/v4`` and ``/tmf-api/alarm/v4``): alarms, the task resources
(ackAlarms, unAckAlarms, clearAlarms, commentAlarms, groupAlarms, unGroupAlarms) and hub."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss.assurance import alarm_queries, alarm_requests
from ossbss.assurance.alarm_view import (
    API_NAME,
    BASE_PATH,
    SPEC_API_NAME,
    SPEC_BASE_PATH,
    SPEC_FILE,
)
from ossbss.assurance.pipeline import AlarmPipeline, Overloaded
from ossbss.assurance.wiring import running_pipeline
from ossbss.tmf import Api, Edge, error_body, json_response, paging, parse_list_query
from ossbss.tmf.api import PATCH_TYPES, add_hub_routes, read_json
from ossbss.tmf.query import parse_fields, select_fields

ALARM_API = Api(name=API_NAME, spec_file=SPEC_FILE, title="TMF642 Alarm Management")
SPEC_ALARM_API = Api(name=SPEC_API_NAME, spec_file=SPEC_FILE, title="TMF642 Alarm Management")
READERS = frozenset({"admin", "noc", "csr", "readonly"})
WRITERS = frozenset({"admin", "noc"})
TASKS = ("ackAlarms", "unAckAlarms", "clearAlarms", "commentAlarms", "groupAlarms", "unGroupAlarms")


def _absolute(node: Any, base_url: str) -> Any:
    """Every relative href made absolute."""
    if isinstance(node, dict):
        return {
            key: base_url + value
            if key == "href" and isinstance(value, str) and value.startswith("/")
            else _absolute(value, base_url)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute(item, base_url) for item in node]
    return node


def _shown(request: Request, edge: Edge, document: dict[str, Any]) -> dict[str, Any]:
    raw = request.query_params.get("fields")
    document = _absolute(document, edge.base_url(request))
    return select_fields(document, parse_fields(raw)) if raw else document


def _page(request: Request, edge: Edge, total: int, items: list[dict[str, Any]]) -> Response:
    page = [_shown(request, edge, item) for item in items]
    headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(page))}
    return json_response(page, 200, headers)


def add_alarm_routes(routes: APIRouter, edge: Edge) -> None:
    for base, api in ((BASE_PATH, ALARM_API), (SPEC_BASE_PATH, SPEC_ALARM_API)):
        _add_routes(routes, edge, base, api)


def _add_routes(routes: APIRouter, edge: Edge, base: str, api: Api) -> None:
    tags: list[str | Enum] = [api.title]
    suffix = "" if base == BASE_PATH else "_spec"

    def get(path: str, operation_id: str, summary: str) -> Callable[[Any], Any]:
        return routes.get(
            base + path, tags=tags, operation_id=operation_id + suffix, summary=summary
        )

    @get("/alarm", "listAlarm", "List or find Alarm objects")
    async def list_alarms(request: Request) -> Response:
        query = parse_list_query(request.query_params.multi_items())
        total, items = await edge.read(
            request, READERS, lambda s: alarm_queries.list_alarms(s, query=query)
        )
        return _page(request, edge, total, items)

    @get("/alarm/{id}", "retrieveAlarm", "Retrieve an Alarm by ID")
    async def retrieve_alarm(request: Request, id: str) -> Response:
        document = await edge.read(
            request, READERS, lambda s: alarm_queries.get_alarm(s, alarm_id=id)
        )
        return json_response(_shown(request, edge, document))

    def write(
        method: str, path: str, operation_id: str, summary: str, status: int
    ) -> Callable[[Any], Any]:
        return routes.api_route(
            base + path,
            methods=[method],
            tags=tags,
            operation_id=operation_id + suffix,
            summary=summary,
            status_code=status,
        )

    @write("POST", "/alarm", "createAlarm", "Creates an Alarm", 201)
    async def create_alarm(request: Request) -> Response:
        payload = await read_json(request)
        pipeline = running_pipeline()
        if pipeline is None:
            created, document = await edge.write(
                request,
                WRITERS,
                lambda s, now: alarm_requests.create_alarm(s, payload=payload, now=now),
            )
        else:
            try:
                created, document = await _through_pipeline(request, edge, pipeline, payload)
            except Overloaded:
                body = error_body(503, "SERVICE_UNAVAILABLE", "Alarm pipeline full", "retry")
                return json_response(body, 503, {"Retry-After": "1"})
        shown = _absolute(document, edge.base_url(request))
        return json_response(shown, 201 if created else 200, {"Location": shown["href"]})

    @write("PATCH", "/alarm/{id}", "patchAlarm", "Updates partially an Alarm", 200)
    async def patch_alarm(request: Request, id: str) -> Response:
        payload = await read_json(request, PATCH_TYPES)
        document = await edge.write(
            request,
            WRITERS,
            lambda s, now: alarm_requests.patch_alarm(
                s, alarm_id=id, payload=payload, user=_user(request), now=now
            ),
        )
        return json_response(_absolute(document, edge.base_url(request)))

    @write("DELETE", "/alarm/{id}", "deleteAlarm", "Deletes a cleared Alarm", 204)
    async def delete_alarm(request: Request, id: str) -> Response:
        await edge.write(
            request,
            WRITERS,
            lambda s, now: alarm_requests.delete_alarm(s, alarm_id=id, now=now),
        )
        return Response(status_code=204)

    for kind in TASKS:
        _add_task_routes(routes, edge, base, kind, get, write)
    add_hub_routes(routes, api, edge)


async def _through_pipeline(
    request: Request, edge: Edge, pipeline: AlarmPipeline, payload: Any
) -> tuple[bool, dict[str, Any]]:
    """Batched with every other sender's alarms (one commit for many POSTs); answered once
    the batch committed."""
    edge.authorize(request, WRITERS)
    report = alarm_requests.parse_report(payload, now=edge.clock.now())
    outcome = await asyncio.wrap_future(pipeline.submit_durable([report.signal]))

    def answer(session: Session, now: datetime) -> tuple[bool, dict[str, Any]]:
        return alarm_requests.reported(session, report=report, outcome=outcome, now=now)

    if report.comments:
        return await edge.write(request, WRITERS, answer)
    return await edge.read(request, WRITERS, lambda s: answer(s, edge.clock.now()))


def _user(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    return str(getattr(principal, "username", "unknown"))


def _add_task_routes(
    routes: APIRouter,
    edge: Edge,
    base: str,
    kind: str,
    get: Callable[[str, str, str], Callable[[Any], Any]],
    write: Callable[[str, str, str, str, int], Callable[[Any], Any]],
) -> None:
    title = kind[0].upper() + kind[1:]

    @write("POST", f"/{kind}", f"create{title}", f"Creates a {title}", 201)
    async def create_task(request: Request) -> Response:
        payload = await read_json(request)
        document = await edge.write(
            request,
            WRITERS,
            lambda s, now: alarm_requests.run_task(
                s, kind=kind, payload=payload, user=_user(request), now=now
            ),
        )
        shown = _absolute(document, edge.base_url(request))
        return json_response(shown, 201, {"Location": shown["href"]})

    @get(f"/{kind}", f"list{title}", f"List or find {title} objects")
    async def list_tasks(request: Request) -> Response:
        offset, limit = paging(request.query_params)
        total, items = await edge.read(
            request,
            READERS,
            lambda s: alarm_queries.list_tasks(s, kind=kind, offset=offset, limit=limit),
        )
        return _page(request, edge, total, items)

    @get(f"/{kind}/{{id}}", f"retrieve{title}", f"Retrieve a {title} by ID")
    async def retrieve_task(request: Request, id: str) -> Response:
        document = await edge.read(
            request, READERS, lambda s: alarm_queries.get_task(s, kind=kind, task_id=id)
        )
        return json_response(_shown(request, edge, document))
