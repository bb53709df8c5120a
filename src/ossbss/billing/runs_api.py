"""billRun writes over HTTP (extension, docs/api.md). A run can take minutes, so both writes
answer 202 at once and the work goes on in a background thread through the platform's
database with the bill run's own functions (run.start_run/run_bills, issue.approve_run);
the caller polls GET /billRun/{id}. Both are safe to repeat: a second start continues the
open run of the cycle and period, a second approve goes on issuing what is left."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss.billing import run as bill_run
from ossbss.billing.cli import bill_period, cycle_of
from ossbss.billing.issue import approve_run
from ossbss.billing.tmf_views import BASE_PATH
from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.tmf import Edge, json_response
from ossbss.tmf.api import read_json

log = logging.getLogger(__name__)
WRITE_ROLES = frozenset({"admin", "billing"})


def start(session: Session, *, payload: Any, now: datetime) -> str:
    """The run of ``billCycle.id`` for ``period`` (YYYY-MM: the cycle period starting in that
    month; absent: the period that ended last), started or continued."""
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    cycle = payload.get("billCycle")
    if not isinstance(cycle, dict) or not isinstance(cycle.get("id"), str):
        raise InvalidInput("Missing billCycle", field="billCycle.id")
    month = payload.get("period")
    if month is not None and not isinstance(month, str):
        raise InvalidInput("Invalid period", field="period", detail="YYYY-MM")
    period = bill_period(cycle_of(session, cycle["id"]), month=month, as_of=now)
    if period.end is not None and period.end > now:
        raise InvalidInput("Invalid period", field="period", detail="the period has not ended")
    return bill_run.start_run(session, cycle_id=cycle["id"], period=period, now=now)


def check_approvable(session: Session, *, run_id: str) -> None:
    run = bill_run.get_run(session, run_id=run_id)
    if run.state not in ("draft", "approving", "issued"):
        raise Conflict("Bill run not a draft", field="state", detail=f"run {run_id} is {run.state}")


def _in_background(name: str, work: Callable[[], object]) -> None:
    def guarded() -> None:
        try:
            work()
        except Exception:  # the run records its own state; this is the thread's last word
            log.exception("%s stopped", name)

    threading.Thread(target=guarded, name=name, daemon=True).start()


def add_run_routes(routes: APIRouter, edge: Edge, tags: list[str | Enum]) -> None:
    def accepted(request: Request, run_id: str, state: str) -> Response:
        location = f"{edge.base_url(request)}{BASE_PATH}/billRun/{run_id}"
        return json_response(
            {"id": run_id, "href": location, "state": state, "@type": "BillRun"},
            202,
            {"Location": location},
        )

    @routes.post(
        BASE_PATH + "/billRun",
        tags=tags,
        status_code=202,
        operation_id="startBillRun",
        summary="Start (or continue) a cycle's bill run (extension): 202, it runs in background",
    )
    async def start_run(request: Request) -> Response:
        payload = await read_json(request)
        run_id: str = await edge.write(
            request, WRITE_ROLES, lambda s, now: start(s, payload=payload, now=now)
        )
        _in_background(
            f"bill-run-{run_id}",
            lambda: bill_run.run_bills(edge.database, run_id=run_id, clock=edge.clock),
        )
        return accepted(request, run_id, "running")

    @routes.post(
        BASE_PATH + "/billRun/{id}/approve",
        tags=tags,
        status_code=202,
        operation_id="approveBillRun",
        summary="Approve a draft bill run (extension): 202, its bills are issued in background",
    )
    async def approve(request: Request, id: str) -> Response:
        await edge.read(request, WRITE_ROLES, lambda s: check_approvable(s, run_id=id))
        _in_background(
            f"bill-approve-{id}",
            lambda: approve_run(edge.database, run_id=id, clock=edge.clock),
        )
        return accepted(request, id, "approving")
