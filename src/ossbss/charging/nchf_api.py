"""Nchf_ConvergedCharging v3 over HTTP: /nchf-convergedcharging/v3/chargingdata[...]."""

from __future__ import annotations

from enum import Enum
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from ossbss.charging import nchf
from ossbss.charging.nchf_wire import PROBLEM_JSON, NchfError, bad_request, parse_request
from ossbss.tmf import Edge, json_response

BASE_PATH = "/nchf-convergedcharging/v3"
# Network functions (SMF, IMS nodes) call with an API key of one of these roles.
ROLES = frozenset({"admin", "billing", "noc"})


def problem(error: NchfError) -> Response:
    return Response(
        orjson.dumps(error.problem()), status_code=error.status, media_type=PROBLEM_JSON
    )


async def _payload(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise bad_request("the body is not valid JSON") from None


def add_routes(router: APIRouter, edge: Edge) -> None:
    tags: list[str | Enum] = ["3GPP Nchf_ConvergedCharging"]

    @router.post(
        BASE_PATH + "/chargingdata", tags=tags, status_code=201, summary="Create a charging session"
    )
    async def create(request: Request) -> Response:
        try:
            charging_request = parse_request(await _payload(request))
            answer = await edge.write(
                request, ROLES, lambda s, now: nchf.create(s, request=charging_request, now=now)
            )
        except NchfError as error:
            return problem(error)
        headers = None
        if answer.ref:
            headers = {"Location": f"{edge.base_url(request)}{BASE_PATH}/chargingdata/{answer.ref}"}
        return json_response(answer.body, answer.status, headers)

    @router.post(
        BASE_PATH + "/chargingdata/{ref}/update", tags=tags, summary="Update a charging session"
    )
    async def update(request: Request, ref: str) -> Response:
        try:
            charging_request = parse_request(await _payload(request))
            answer = await edge.write(
                request,
                ROLES,
                lambda s, now: nchf.update(s, ref=ref, request=charging_request, now=now),
            )
        except NchfError as error:
            return problem(error)
        return json_response(answer.body, answer.status)

    @router.post(
        BASE_PATH + "/chargingdata/{ref}/release",
        tags=tags,
        status_code=204,
        summary="Release a charging session",
    )
    async def release(request: Request, ref: str) -> Response:
        try:
            charging_request = parse_request(await _payload(request))
            await edge.write(
                request,
                ROLES,
                lambda s, now: nchf.release(s, ref=ref, request=charging_request, now=now),
            )
        except NchfError as error:
            return problem(error)
        return Response(status_code=204)
