"""Bill runs as the billRun extension of TMF678 shows them: state, counts, failures with
reasons, and links to the run's bills (customerBill?billRun.id=...)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.billing.models import BillRun, RunFailure
from ossbss.billing.tmf_views import BASE_PATH
from ossbss.kernel.errors import NotFound
from ossbss.kernel.time import format_datetime

FAILURES_SHOWN = 1000  # a run's document lists at most this many failures (count is exact)


def render_run(run: BillRun, failures: list[RunFailure], failure_count: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": run.id,
        "href": f"{BASE_PATH}/billRun/{run.id}",
        "state": run.state,
        "billCycle": {"id": run.cycle_id},
        "billingPeriod": {
            "startDateTime": format_datetime(run.period_start),
            "endDateTime": format_datetime(run.period_end),
        },
        "accountsTotal": run.accounts_total,
        "accountsDone": run.accounts_done,
        "accountsFailed": run.accounts_failed,
        "failureCount": failure_count,
        "failure": [
            {
                "billingAccount": {"id": f.billing_account_id},
                "reason": f.reason,
                "date": format_datetime(f.created_at),
            }
            for f in failures
        ],
        "customerBills": {"href": f"{BASE_PATH}/customerBill?billRun.id={run.id}"},
        "comparison": {"href": f"{BASE_PATH}/billRun/{run.id}/comparison"},
        "creationDate": format_datetime(run.created_at),
        "lastUpdate": format_datetime(run.updated_at),
        "@type": "BillRun",
    }
    if run.issued_at is not None:
        body["issueDate"] = format_datetime(run.issued_at)
    if run.summary:
        body["summary"] = run.summary
    return body


def _failures(
    session: Session, run_ids: list[str]
) -> tuple[dict[str, list[RunFailure]], dict[str, int]]:
    failures: dict[str, list[RunFailure]] = defaultdict(list)
    counts: dict[str, int] = {}
    if not run_ids:
        return failures, counts
    for run_id, count in session.execute(
        select(RunFailure.bill_run_id, func.count())
        .where(RunFailure.bill_run_id.in_(run_ids))
        .group_by(RunFailure.bill_run_id)
    ):
        counts[run_id] = int(count)
    for run_id in run_ids:
        query = (
            select(RunFailure)
            .where(RunFailure.bill_run_id == run_id)
            .order_by(RunFailure.pk)
            .limit(FAILURES_SHOWN)
        )
        failures[run_id] = list(session.scalars(query))
    return failures, counts


def list_runs(
    session: Session, *, state: str | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    conditions = [BillRun.state.in_(state.split(","))] if state else []
    total = session.scalar(select(func.count()).select_from(BillRun).where(*conditions)) or 0
    runs = list(
        session.scalars(
            select(BillRun)
            .where(*conditions)
            .order_by(BillRun.created_at.desc(), BillRun.pk.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    failures, counts = _failures(session, [run.id for run in runs])
    return [render_run(run, failures[run.id], counts.get(run.id, 0)) for run in runs], total


def get_run(session: Session, *, run_id: str) -> dict[str, Any]:
    run = session.scalars(select(BillRun).where(BillRun.id == run_id)).one_or_none()
    if run is None:
        raise NotFound(f"No billRun with id {run_id}", field="id")
    failures, counts = _failures(session, [run.id])
    return render_run(run, failures[run.id], counts.get(run.id, 0))
