"""billRun writes over HTTP (extension, docs/api.md): POST /billRun starts a run for a cycle
and answers 202 at once — the run itself goes on in a background thread through the
platform's database, the caller polls GET /billRun/{id}; POST /billRun/{id}/approve issues
a draft run. Both call the bill run's own functions (billing.run)."""

from __future__ import annotations

import importlib
import logging
import threading
from enum import Enum
from types import ModuleType
from typing import Any

from fastapi import APIRouter, Request, Response

from ossbss.billing.tmf_views import BASE_PATH
from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import Edge, json_response
from ossbss.tmf.api import read_json

log = logging.getLogger(__name__)
WRITE_ROLES = frozenset({"admin", "billing"})


def _run_module() -> ModuleType:
    """The bill run (another helper's module, merged separately): looked up when called so
    this API works, and says so, without it."""
    try:
        return importlib.import_module("ossbss.billing.run")
    except ImportError:
        raise Conflict(
            "Bill runs are not available", detail="this build has no billing.run module"
        ) from None


def _start_arguments(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    cycle = payload.get("billCycle")
    if not isinstance(cycle, dict) or not isinstance(cycle.get("id"), str):
        raise InvalidInput("Missing billCycle", field="billCycle.id")
    arguments: dict[str, Any] = {"cycle_id": cycle["id"]}
    if "periodEnd" in payload:
        try:
            arguments["period_end"] = parse_datetime(str(payload["periodEnd"]))
        except ValueError:
            raise InvalidInput("Invalid date", field="periodEnd") from None
    return arguments


def add_run_routes(routes: APIRouter, edge: Edge, tags: list[str | Enum]) -> None:
    @routes.post(
        BASE_PATH + "/billRun",
        tags=tags,
        status_code=202,
        operation_id="startBillRun",
        summary="Start a bill run for a cycle (extension): 202, the run goes on in background",
    )
    async def start(request: Request) -> Response:
        payload = await read_json(request)
        arguments = _start_arguments(payload)
        run = _run_module()
        run_id: str = await edge.write(
            request,
            WRITE_ROLES,
            lambda s, now: run.start_run(s, now=now, **arguments),
        )
        threading.Thread(
            target=_run_in_background,
            args=(edge, run, run_id),
            name=f"bill-run-{run_id}",
            daemon=True,
        ).start()
        location = f"{edge.base_url(request)}{BASE_PATH}/billRun/{run_id}"
        return json_response(
            {"id": run_id, "href": location, "state": "running", "@type": "BillRun"},
            202,
            {"Location": location},
        )

    @routes.post(
        BASE_PATH + "/billRun/{id}/approve",
        tags=tags,
        operation_id="approveBillRun",
        summary="Approve a draft bill run (extension): its bills are issued",
    )
    async def approve(request: Request, id: str) -> Response:
        run = _run_module()
        await edge.write(
            request, WRITE_ROLES, lambda s, now: run.approve_run(s, run_id=id, now=now)
        )
        from ossbss.billing.runs_view import get_run

        document = await edge.read(request, None, lambda s: get_run(s, run_id=id))
        return json_response({**document, "href": edge.base_url(request) + document["href"]})


def _run_in_background(edge: Edge, run: ModuleType, run_id: str) -> None:
    try:
        run.run_bills(edge.database, run_id=run_id, clock=edge.clock)
    except Exception:  # the run records its own failures; this is the thread's last word
        log.exception("bill run %s stopped", run_id)
