"""TMF621 over HTTP: ``/tmf-api/troubleTicket/v4/troubleTicket`` and its hub."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response

from ossbss.assurance.tickets import listing, service
from ossbss.assurance.tickets.resource import DELETERS, TICKET_API, TROUBLE_TICKET, WRITERS
from ossbss.tmf import Edge, json_response
from ossbss.tmf.api import PATCH_TYPES, add_hub_routes, read_json
from ossbss.tmf.query import parse_fields, select_fields


def _author(request: Request) -> str | None:
    principal = getattr(request.state, "principal", None)
    return getattr(principal, "username", None)


def _absolute(document: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**document, "href": base_url + document["href"]}


def add_ticket_routes(routes: APIRouter, edge: Edge) -> None:
    tags: list[str | Enum] = [TICKET_API.title]
    path = TROUBLE_TICKET.path

    @routes.get(path, tags=tags, summary="List or find TroubleTicket objects")
    async def list_tickets(request: Request) -> Response:
        query = listing.parse_ticket_query(request.query_params.multi_items())
        total, items = await edge.read(
            request,
            None,
            lambda s: listing.list_tickets(s, query=query, now=edge.clock.now()),
        )
        base = edge.base_url(request)
        page = [_absolute(item, base) for item in items]
        if query.tmf.fields:
            page = [select_fields(item, query.tmf.fields) for item in page]
        headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(page))}
        return json_response(page, 200, headers)

    @routes.get(path + "/{id}", tags=tags, summary="Retrieve a TroubleTicket by id")
    async def retrieve(request: Request, id: str) -> Response:
        document = await edge.read(
            request, None, lambda s: service.get_ticket(s, ticket_id=id, now=edge.clock.now())
        )
        document = _absolute(document, edge.base_url(request))
        if "fields" in request.query_params:
            document = select_fields(document, parse_fields(request.query_params["fields"]))
        return json_response(document)

    @routes.post(path, tags=tags, status_code=201, summary="Create a TroubleTicket")
    async def create(request: Request) -> Response:
        payload = await read_json(request)
        document = await edge.write(
            request,
            WRITERS,
            lambda s, now: service.create_ticket(
                s, payload=payload, now=now, author=_author(request)
            ),
        )
        rendered = _absolute(document, edge.base_url(request))
        return json_response(rendered, 201, {"Location": rendered["href"]})

    @routes.patch(path + "/{id}", tags=tags, summary="Update a TroubleTicket (JSON merge patch)")
    async def patch(request: Request, id: str) -> Response:
        changes = await read_json(request, PATCH_TYPES)
        document = await edge.write(
            request,
            WRITERS,
            lambda s, now: service.patch_ticket(
                s, ticket_id=id, patch=changes, now=now, author=_author(request)
            ),
        )
        return json_response(_absolute(document, edge.base_url(request)))

    @routes.delete(
        path + "/{id}",
        tags=tags,
        status_code=204,
        summary="Delete a TroubleTicket (closed, cancelled or rejected only)",
    )
    async def remove(request: Request, id: str) -> Response:
        await edge.write(
            request,
            DELETERS,
            lambda s, now: service.delete_ticket(s, ticket_id=id, now=now),
        )
        return Response(status_code=204)

    add_hub_routes(routes, TICKET_API, edge)
