"""The dunning read API (an extension beside TMF676): GET dunningCase (filters
billingAccount.id, state; paging offset/limit) and GET dunningCase/{id}, each case with its
actions. Any authenticated caller may read."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response

from ossbss.payment.dunning_view import CASE_PATH, get_dunning_case, list_dunning_cases
from ossbss.tmf import Edge, json_response, paging

TAGS: list[str | Enum] = ["Dunning (TMF676 extension)"]


def add_dunning_routes(router: APIRouter, edge: Edge) -> None:
    @router.get(CASE_PATH, tags=TAGS, summary="List dunning cases", operation_id="listDunningCase")
    async def list_cases(request: Request) -> Response:
        params = request.query_params
        offset, limit = paging(params)
        cases = await edge.read(
            request,
            None,
            lambda s: list_dunning_cases(
                s, billing_account_id=params.get("billingAccount.id"), state=params.get("state")
            ),
        )
        page = [_absolute(case, edge.base_url(request)) for case in cases[offset : offset + limit]]
        headers = {"X-Total-Count": str(len(cases)), "X-Result-Count": str(len(page))}
        return json_response(page, 200, headers)

    @router.get(
        CASE_PATH + "/{id}",
        tags=TAGS,
        summary="Retrieve a dunning case with its actions",
        operation_id="retrieveDunningCase",
    )
    async def retrieve_case(request: Request, id: str) -> Response:
        case = await edge.read(request, None, lambda s: get_dunning_case(s, case_id=id))
        return json_response(_absolute(case, edge.base_url(request)))


def _absolute(document: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**document, "href": base_url + document["href"]}
