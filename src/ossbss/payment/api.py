"""payment over HTTP: TMF676 Payment Management (payment, refund, hub)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response

from ossbss.payment import payment_tmf
from ossbss.payment.dunning_api import add_dunning_routes
from ossbss.payment.payment_tmf import API_NAME, BASE_PATH, SPEC_FILE
from ossbss.payment.wiring import current_gateway
from ossbss.tmf import Api, Edge, json_response, paging
from ossbss.tmf.api import add_hub_routes, read_json

PAYMENT_API = Api(name=API_NAME, spec_file=SPEC_FILE, title="TMF676 Payment Management")
WRITE_ROLES = frozenset({"admin", "billing", "csr"})
FILTERS = (
    "account.id",
    "status",
    "paymentMethod",
    "paymentMethod.@type",
    "correlatorId",
    "payment.id",
)


def _select(document: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if not fields:
        return document
    wanted = {"id", "href", *(name.strip() for name in fields.split(","))}
    return {key: value for key, value in document.items() if key in wanted}


def _absolute(document: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**document, "href": base_url + document["href"]}


def router(edge: Edge) -> APIRouter:
    routes = APIRouter()
    tags: list[str | Enum] = [PAYMENT_API.title]

    def resource(
        name: str,
        lister: Callable[..., Any],
        getter: Callable[..., Any],
        creator: Callable[..., Any],
    ) -> None:
        @routes.get(
            BASE_PATH + f"/{name}", tags=tags, summary=f"List {name}s", operation_id=f"list{name}"
        )
        async def list_items(request: Request) -> Response:
            offset, limit = paging(request.query_params)
            filters = {k: request.query_params[k] for k in FILTERS if k in request.query_params}
            total, items = await edge.read(
                request, None, lambda s: lister(s, filters=filters, offset=offset, limit=limit)
            )
            base, fields = edge.base_url(request), request.query_params.get("fields")
            page = [_select(_absolute(item, base), fields) for item in items]
            headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(page))}
            return json_response(page, 200, headers)

        @routes.get(
            BASE_PATH + f"/{name}/{{id}}",
            tags=tags,
            summary=f"Retrieve a {name}",
            operation_id=f"retrieve{name}",
        )
        async def retrieve(request: Request, id: str) -> Response:
            document = await edge.read(request, None, lambda s: getter(s, id))
            fields = request.query_params.get("fields")
            return json_response(_select(_absolute(document, edge.base_url(request)), fields))

        @routes.post(
            BASE_PATH + f"/{name}",
            tags=tags,
            status_code=201,
            summary=f"Create a {name}",
            operation_id=f"create{name}",
        )
        async def create(request: Request) -> Response:
            payload = await read_json(request)
            document = await edge.write(
                request,
                WRITE_ROLES,
                lambda s, now: creator(s, payload=payload, now=now, gateway=current_gateway()),
            )
            rendered = _absolute(document, edge.base_url(request))
            return json_response(rendered, 201, {"Location": rendered["href"]})

    resource(
        "payment",
        payment_tmf.list_payments,
        lambda s, i: payment_tmf.retrieve_payment(s, payment_id=i),
        payment_tmf.create_payment,
    )
    resource(
        "refund",
        payment_tmf.list_refunds,
        lambda s, i: payment_tmf.retrieve_refund(s, refund_id=i),
        payment_tmf.create_refund,
    )
    add_hub_routes(routes, PAYMENT_API, edge)
    add_dunning_routes(routes, edge)
    return routes
