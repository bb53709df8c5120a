"""Billing desk: bill runs (start one for a cycle and period, watch it progress, compare it
with the previous cycle, approve or discard it), invoices with their PDFs, the dunning queue.

A run is started as POST billRun starts one (ADR 0037): the run row is written in the request's
transaction, then the drafting (or the issuing, on approval) goes on in a daemon thread of the
serving process through the platform database; the run page polls a fragment every 2 s while
the run is running or approving. Both operations are resumable, so a restart only needs the
button pressed again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ossbss import billing, payment
from ossbss.console import roles
from ossbss.console.web import Web, form_values
from ossbss.iam import Principal
from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.kernel.settings import Settings

log = logging.getLogger(__name__)

RUNS_SHOWN = 50
FAILURES_SHOWN = 100
PAGE_SIZE = 50
LIVE_STATES = frozenset({"running", "approving"})
BILL_STATES = ("new", "sent", "partiallyPaid", "settled", "onHold")


@dataclass(frozen=True, slots=True)
class RunRow:
    id: str
    cycle_id: str
    period_start: datetime
    period_end: datetime
    state: str
    accounts_total: int
    accounts_done: int
    accounts_failed: int
    created_at: datetime


def _run_rows(session: Session) -> list[RunRow]:
    return [
        RunRow(
            run.id,
            run.cycle_id,
            run.period_start,
            run.period_end,
            run.state,
            run.accounts_total,
            run.accounts_done,
            run.accounts_failed,
            run.created_at,
        )
        for run in billing.list_runs(session, limit=RUNS_SHOWN)
    ]


@dataclass(frozen=True, slots=True)
class RunView:
    summary: billing.RunSummary
    previous: billing.RunSummary | None
    comparison: list[billing.AccountComparison]
    compared_account: str

    @property
    def live(self) -> bool:
        return self.summary.state in LIVE_STATES

    @property
    def percent(self) -> int:
        total = self.summary.accounts_total
        settled = self.summary.accounts_done + self.summary.accounts_failed
        return 100 if not total else min(100, settled * 100 // total)

    @property
    def failures(self) -> tuple[tuple[str, str], ...]:
        return self.summary.failures[:FAILURES_SHOWN]


def _previous_run(session: Session, summary: billing.RunSummary) -> billing.RunSummary | None:
    """The latest run of the same cycle for an earlier period that was not thrown away."""
    for run in billing.list_runs(session, limit=RUNS_SHOWN):
        if (
            run.cycle_id == summary.cycle_id
            and run.period_start < summary.period.start
            and run.state not in ("discarded", "failed")
        ):
            return billing.run_summary(session, run_id=run.id)
    return None


def load_run(session: Session, *, run_id: str, account_id: str = "") -> RunView:
    summary = billing.run_summary(session, run_id=run_id)
    comparison = (
        billing.compare_run(session, run_id=run_id, account_id=account_id) if account_id else []
    )
    return RunView(summary, _previous_run(session, summary), comparison, account_id)


def in_background(name: str, work: Callable[[], object]) -> None:
    """``work`` in a daemon thread (as the billRun API does): the run records its own state,
    so a failure here is logged and the run page shows where it stopped."""

    def guarded() -> None:
        try:
            work()
        except Exception:
            log.exception("%s stopped", name)

    threading.Thread(target=guarded, name=name, daemon=True).start()


# -- dunning -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DunningRow:
    case: dict[str, Any]
    overdue: Any  # the last action's overdueAmount ({"unit", "value"}) or None
    last_action: dict[str, Any] | None
    next_step: str
    next_due: datetime | None


def _next_step(policy: payment.DunningPolicy, case: dict[str, Any]) -> tuple[str, datetime | None]:
    """The policy's next step after the one the case reached, and when it falls due (counted
    from the last action's days overdue)."""
    account_class = policy.classes.get(str(case.get("accountClass")))
    if account_class is None:
        return "", None
    actions = case.get("action") or []
    taken = {str(action.get("step")) for action in actions}
    upcoming = [step for step in account_class.steps if step.name not in taken]
    if not upcoming:
        return "", None
    step = upcoming[0]
    last = actions[-1] if actions else None
    if not last or last.get("daysOverdue") is None:
        return step.name, None
    at = datetime.fromisoformat(str(last["date"]).replace("Z", "+00:00"))
    return step.name, at + timedelta(days=step.after_days - int(last["daysOverdue"]))


def dunning_queue(session: Session) -> list[DunningRow]:
    policy = payment.policy_for(Settings())
    rows = []
    for case in payment.list_dunning_cases(session, state="open"):
        actions = case.get("action") or []
        last = actions[-1] if actions else None
        overdue = next(
            (a["overdueAmount"] for a in reversed(actions) if a.get("overdueAmount")), None
        )
        step, due = _next_step(policy, case)
        rows.append(DunningRow(case, overdue, last, step, due))
    return rows


# -- routes ------------------------------------------------------------------------------------


def _number(raw: str | None, default: int, *, field: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        return max(int(raw), 0)
    except ValueError:
        raise InvalidInput("Invalid number", field=field, detail=raw) from None


def register(router: APIRouter, web: Web) -> None:
    async def runs_page(request: Request, status: int = 200, **extra: Any) -> Response:
        now = web.clock.now()
        runs, cycles = await web.read(
            request,
            roles.STAFF,
            lambda s, viewer: (_run_rows(s), billing.bill_cycles(s, now=now)),
        )
        return web.render(
            request, "billing/runs.html", status=status, runs=runs, cycles=cycles, **extra
        )

    @router.get("/billing")
    async def runs(request: Request) -> Response:
        return await runs_page(request)

    @router.post("/billing/runs")
    async def start(request: Request) -> Response:
        values = form_values(await request.form())
        cycle_id, month = values.get("cycle", ""), values.get("period", "")

        def begin(session: Session, viewer: Principal, now: datetime) -> str:
            return billing.start_cycle_run(session, cycle_id=cycle_id, month=month or None, now=now)

        try:
            run_id = await web.write(request, roles.BILLING, begin)
        except (InvalidInput, Conflict) as exc:
            return await runs_page(request, status=400, error=exc, values=values)
        in_background(
            f"bill-run-{run_id}",
            lambda: billing.run_bills(web.database, run_id=run_id, clock=web.clock),
        )
        return web.redirect(request, f"/billing/runs/{run_id}", notice="Bill run started")

    @router.get("/billing/runs/{run_id}")
    async def run(request: Request, run_id: str, account: str = "") -> Response:
        view = await web.read(
            request, roles.STAFF, lambda s, viewer: load_run(s, run_id=run_id, account_id=account)
        )
        return web.render(request, "billing/run.html", view=view)

    @router.get("/billing/runs/{run_id}/progress")
    async def progress(request: Request, run_id: str) -> Response:
        view = await web.read(request, roles.STAFF, lambda s, viewer: load_run(s, run_id=run_id))
        return web.render(request, "billing/progress.html", view=view)

    @router.post("/billing/runs/{run_id}/approve")
    async def approve(request: Request, run_id: str) -> Response:
        def begin(session: Session, viewer: Principal, now: datetime) -> None:
            # Approving at once, so the page that follows polls until the bills are issued.
            billing.begin_approval(session, run_id=run_id, now=now)

        await web.write(request, roles.BILLING, begin)
        in_background(
            f"bill-approve-{run_id}",
            lambda: billing.approve_run(web.database, run_id=run_id, clock=web.clock),
        )
        return web.redirect(request, f"/billing/runs/{run_id}", notice="Approval started")

    @router.post("/billing/runs/{run_id}/discard")
    async def discard(request: Request, run_id: str) -> Response:
        def drop(session: Session, viewer: Principal, now: datetime) -> None:
            billing.discard_run(session, run_id=run_id, now=now)

        await web.write(request, roles.BILLING, drop)
        return web.redirect(request, f"/billing/runs/{run_id}", notice="Bill run discarded")

    @router.get("/billing/bills")
    async def bills(request: Request) -> Response:
        params = request.query_params
        filters = {
            name: params.get(name, "").strip()
            for name in ("state", "number", "account", "period", "run")
        }
        offset = _number(params.get("offset"), 0, field="offset")
        limit = min(_number(params.get("limit"), PAGE_SIZE, field="limit") or PAGE_SIZE, 200)

        def load(session: Session, viewer: Principal) -> billing.BillPage:
            return billing.list_bill_rows(
                session,
                state=filters["state"] or None,
                number=filters["number"] or None,
                account_id=filters["account"] or None,
                period=filters["period"] or None,
                run_id=filters["run"] or None,
                offset=offset,
                limit=limit,
            )

        error: InvalidInput | None = None
        try:
            page = await web.read(request, roles.STAFF, load)
        except InvalidInput as exc:
            page, error = billing.BillPage([], 0), exc
        chosen = {name: value for name, value in filters.items() if value}
        query = f"&{urlencode(chosen)}" if chosen else ""
        return web.render(
            request,
            "billing/bills.html",
            status=400 if error else 200,
            page=page,
            filters=filters,
            states=BILL_STATES,
            offset=offset,
            limit=limit,
            query=query,
            error=error,
        )

    @router.get("/billing/bills/{bill_id}")
    async def bill(request: Request, bill_id: str) -> Response:
        view = await web.read(
            request, roles.STAFF, lambda s, viewer: billing.invoice_view(s, bill_id=bill_id)
        )
        return web.render(request, "billing/bill.html", view=view)

    @router.get("/billing/bills/{bill_id}/document")
    async def document(request: Request, bill_id: str) -> Response:
        view = await web.read(
            request, roles.STAFF, lambda s, viewer: billing.invoice_view(s, bill_id=bill_id)
        )
        # Rendering takes a fraction of a second of CPU: off the event loop, outside any
        # transaction (as the TMF678 document route does).
        pdf = await run_in_threadpool(
            lambda: billing.render_on_demand(web.database, clock=web.clock, bill_id=view.bill.id)
        )
        name = "".join(c for c in view.reference if c.isalnum() or c in "-_") or "bill"
        headers = {"Content-Disposition": f'attachment; filename="{name}.pdf"'}
        return Response(pdf, media_type="application/pdf", headers=headers)

    @router.get("/billing/dunning")
    async def dunning(request: Request) -> Response:
        rows = await web.read(request, roles.STAFF, lambda s, viewer: dunning_queue(s))
        return web.render(request, "billing/dunning.html", rows=rows)
