"""Maintenance windows over HTTP: ``/assurance/v1/maintenanceWindow`` (not a TMF API: TMF642
only flags alarms ``plannedOutageIndicator``; the windows themselves are ours)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss.assurance import maintenance
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import Edge, json_response, paging
from ossbss.tmf.api import PATCH_TYPES, read_json

WRITERS = frozenset({"admin", "noc"})
PATH = maintenance.BASE_PATH


def add_maintenance_routes(routes: APIRouter, edge: Edge) -> None:
    tags: list[str | Enum] = ["Maintenance windows"]

    def absolute(request: Request, document: dict[str, object]) -> dict[str, object]:
        return {**document, "href": edge.base_url(request) + str(document["href"])}

    @routes.get(PATH, tags=tags, summary="List maintenance windows")
    async def list_windows(request: Request) -> Response:
        offset, limit = paging(request.query_params)
        params = request.query_params
        active_at = None
        if "activeAt" in params:
            try:
                active_at = parse_datetime(params["activeAt"])
            except ValueError:
                raise InvalidInput(
                    "Invalid date-time", field="activeAt", detail="must be ISO 8601"
                ) from None
        total, items = await edge.read(
            request,
            None,
            lambda s: maintenance.list_windows(
                s,
                offset=offset,
                limit=limit,
                active_at=active_at,
                resource_id=params.get("resources.id"),
            ),
        )
        headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(items))}
        return json_response([absolute(request, item) for item in items], 200, headers)

    @routes.get(PATH + "/{id}", tags=tags, summary="Retrieve a maintenance window")
    async def retrieve(request: Request, id: str) -> Response:
        document = await edge.read(request, None, lambda s: maintenance.get_window(s, window_id=id))
        return json_response(absolute(request, document))

    @routes.post(PATH, tags=tags, status_code=201, summary="Plan a maintenance window")
    async def create(request: Request) -> Response:
        payload = await read_json(request)

        def work(session: Session, now: datetime) -> dict[str, object]:
            principal = getattr(request.state, "principal", None)
            return maintenance.create_window(
                session, payload=payload, now=now, author=getattr(principal, "username", None)
            )

        document = absolute(request, await edge.write(request, WRITERS, work))
        return json_response(document, 201, {"Location": str(document["href"])})

    @routes.patch(PATH + "/{id}", tags=tags, summary="Change a maintenance window (merge patch)")
    async def patch(request: Request, id: str) -> Response:
        changes = await read_json(request, PATCH_TYPES)
        document = await edge.write(
            request,
            WRITERS,
            lambda s, now: maintenance.update_window(s, window_id=id, payload=changes, now=now),
        )
        return json_response(absolute(request, document))

    @routes.delete(PATH + "/{id}", tags=tags, status_code=204, summary="Cancel a window")
    async def remove(request: Request, id: str) -> Response:
        await edge.write(
            request, WRITERS, lambda s, now: maintenance.delete_window(s, window_id=id)
        )
        return Response(status_code=204)
