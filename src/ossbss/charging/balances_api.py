"""TMF654 Prepay Balance Management over HTTP (buckets, top-up, adjustment, reservation,
accumulated balance, balance action history, hub)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response

from ossbss.charging import balances_tmf
from ossbss.charging.balances_view import API_NAME, BASE_PATH
from ossbss.kernel.errors import InvalidInput
from ossbss.tmf import Api, Edge, json_response, paging
from ossbss.tmf.api import add_hub_routes, read_json

PREPAY_BALANCE_API = Api(
    name=API_NAME,
    spec_file="TMF654-PrepayBalance-v4.0.0.swagger.json",
    title="TMF654 Prepay Balance Management",
)
WRITE_ROLES = frozenset({"admin", "billing", "csr"})
FILTERS = ("partyAccount.id", "product.id", "usageType", "status", "bucket.id")


def _filters(request: Request) -> dict[str, str]:
    return {name: request.query_params[name] for name in FILTERS if name in request.query_params}


def _page(request: Request, items: list[dict[str, Any]], base_url: str) -> Response:
    offset, limit = paging(request.query_params)
    page = [_absolute(item, base_url) for item in items[offset : offset + limit]]
    headers = {"X-Total-Count": str(len(items)), "X-Result-Count": str(len(page))}
    return json_response(page, 200, headers)


def _absolute(document: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**document, "href": base_url + document["href"]} if "href" in document else document


def add_routes(router: APIRouter, edge: Edge) -> None:
    tags: list[str | Enum] = [PREPAY_BALANCE_API.title]

    def listing(path: str, work: Callable[[Any, Request], list[dict[str, Any]]]) -> None:
        @router.get(
            BASE_PATH + path, tags=tags, summary=f"List {path[1:]}", operation_id=f"list{path[1:]}"
        )
        async def list_items(request: Request) -> Response:
            items = await edge.read(request, None, lambda s: work(s, request))
            return _page(request, items, edge.base_url(request))

    def retrieving(path: str, work: Callable[[Any, str], dict[str, Any]]) -> None:
        @router.get(
            BASE_PATH + path + "/{id}",
            tags=tags,
            summary=f"Retrieve a {path[1:]}",
            operation_id=f"retrieve{path[1:]}",
        )
        async def retrieve(request: Request, id: str) -> Response:
            document = await edge.read(request, None, lambda s: work(s, id))
            return json_response(_absolute(document, edge.base_url(request)))

    def creating(path: str, work: Callable[..., dict[str, Any]]) -> None:
        @router.post(
            BASE_PATH + path,
            tags=tags,
            status_code=201,
            summary=f"Create a {path[1:]}",
            operation_id=f"create{path[1:]}",
        )
        async def create(request: Request) -> Response:
            payload = await read_json(request)
            document = await edge.write(
                request, WRITE_ROLES, lambda s, now: work(s, payload=payload, now=now)
            )
            rendered = _absolute(document, edge.base_url(request))
            return json_response(rendered, 201, {"Location": rendered["href"]})

    now = edge.clock.now
    listing("/bucket", lambda s, r: balances_tmf.list_buckets(s, filters=_filters(r), now=now()))
    retrieving("/bucket", lambda s, i: balances_tmf.retrieve_bucket(s, bucket_id=i, now=now()))
    for action in ("topupBalance", "adjustBalance", "reserveBalance"):
        listing(f"/{action}", _list_actions(action))
        retrieving(f"/{action}", _retrieve_action(action))
    creating("/topupBalance", balances_tmf.topup)
    creating("/adjustBalance", balances_tmf.adjust)
    creating("/reserveBalance", balances_tmf.reserve)
    listing(
        "/balanceActionHistory",
        lambda s, r: balances_tmf.list_actions(s, action=None, filters=_filters(r)),
    )
    retrieving(
        "/balanceActionHistory",
        lambda s, i: balances_tmf.retrieve_action(s, action=None, action_id=i),
    )
    listing("/accumulatedBalance", lambda s, r: _accumulated(s, r, now()))
    retrieving(
        "/accumulatedBalance",
        lambda s, i: balances_tmf.accumulated_balance(s, account_id=i, now=now()),
    )

    @router.patch(
        BASE_PATH + "/reserveBalance/{id}",
        tags=tags,
        summary="Cancel or commit a reservation",
        operation_id="patchreserveBalance",
    )
    async def patch_reservation(request: Request, id: str) -> Response:
        changes = await read_json(request, ("application/merge-patch+json", "application/json"))
        document = await edge.write(
            request,
            WRITE_ROLES,
            lambda s, at: balances_tmf.change_reservation(
                s, reservation_id=id, payload=changes, now=at
            ),
        )
        return json_response(_absolute(document, edge.base_url(request)))

    add_hub_routes(router, PREPAY_BALANCE_API, edge)


def _list_actions(action: str) -> Callable[[Any, Request], list[dict[str, Any]]]:
    return lambda s, r: balances_tmf.list_actions(s, action=action, filters=_filters(r))


def _retrieve_action(action: str) -> Callable[[Any, str], dict[str, Any]]:
    return lambda s, i: balances_tmf.retrieve_action(s, action=action, action_id=i)


def _accumulated(session: Any, request: Request, now: Any) -> list[dict[str, Any]]:
    account_id = request.query_params.get("partyAccount.id")
    if not account_id:
        raise InvalidInput(
            "Missing filter",
            field="partyAccount.id",
            detail="accumulatedBalance is listed per account",
        )
    return [balances_tmf.accumulated_balance(session, account_id=account_id, now=now)]
