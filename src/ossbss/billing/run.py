"""The bill run: draft bills for every account of a bill cycle and period, chunk by chunk.

Each chunk is its own transaction (its bills, lines, failures and the run's counters commit
together or not at all), and the bill table's UNIQUE(bill_run_id, billing_account_id) makes a
second bill for an account impossible. A run killed at any instant is started again with the
same call: it skips the accounts already billed or failed and goes on (ADR 0020).
Approving (issuing) the drafts is ``issue.approve_run``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ossbss.billing import charges
from ossbss.billing.adjustments import (
    mark_adjustments_billed,
    pending_adjustments,
    release_adjustments,
)
from ossbss.billing.models import Bill, BillLine, BillRun, RunFailure
from ossbss.kernel import Clock, Conflict, Database, NotFound, new_id
from ossbss.kernel.time import Period

log = logging.getLogger(__name__)

RUNNING = "running"
DRAFT_RUN = "draft"
APPROVING = "approving"
ISSUED_RUN = "issued"
FAILED_RUN = "failed"
DISCARDED = "discarded"
DRAFT_BILL = "new"
REGULAR = "regular"
CHUNK_SIZE = 2000
_IN_CHUNK = 900  # below SQLite's bound-parameter limit
_REASON_LENGTH = 500

# progress(advance, total): ``advance`` more accounts (or bills) are done, of ``total``.
Progress = Callable[[int, int], None]


class ChargeSource(Protocol):
    """``billing.charges.compute_charges``: per account an AccountCharges (``lines``,
    ``currency``) or a ChargeFailure (``reason``), in bulk for a chunk of accounts."""

    def __call__(
        self, session: Session, *, account_ids: Sequence[str], period: Period, now: datetime
    ) -> Sequence[Any]: ...


class AccountSource(Protocol):
    """``billing.charges.accounts_in_cycle``: the billing accounts billed on a cycle."""

    def __call__(self, session: Session, *, cycle_id: str) -> Sequence[str]: ...


class RunNotRunning(Conflict):
    """The run was discarded, or is being issued, while this process was billing it."""


def default_charge_source() -> ChargeSource:
    return charges.compute_charges


def default_account_source() -> AccountSource:
    return charges.accounts_in_cycle


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    bills: int
    amount_excl_tax_minor: int
    tax_minor: int
    amount_incl_tax_minor: int


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Where a run stands, read back from its rows (the same after a restart)."""

    run_id: str
    cycle_id: str
    period: Period
    state: str
    accounts_total: int
    accounts_done: int
    accounts_failed: int
    accounts_without_charges: int
    bills: int
    bills_issued: int
    totals: dict[str, CurrencyTotals] = field(default_factory=dict)
    failures: tuple[tuple[str, str], ...] = ()


# --- start, discard, read -------------------------------------------------------------------


def _open_run(session: Session, cycle_id: str, period: Period) -> BillRun | None:
    return session.scalars(
        select(BillRun).where(
            BillRun.cycle_id == cycle_id,
            BillRun.period_start == period.start,
            BillRun.period_end == period.end,
            BillRun.state != DISCARDED,
        )
    ).one_or_none()


def start_run(session: Session, *, cycle_id: str, period: Period, now: datetime) -> str:
    """The run of ``cycle_id`` for ``period``: a new one, or the one that exists and is not
    discarded (a second start continues it; a unique index settles two concurrent starts)."""
    if period.end is None:
        raise ValueError("a bill period is closed")
    existing = _open_run(session, cycle_id, period)
    if existing is not None:
        return existing.id
    run_id = new_id()
    try:
        with session.begin_nested():
            session.add(
                BillRun(
                    id=run_id,
                    cycle_id=cycle_id,
                    period_start=period.start,
                    period_end=period.end,
                    state=RUNNING,
                    accounts_total=0,
                    accounts_done=0,
                    accounts_failed=0,
                    summary={},
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        found = _open_run(session, cycle_id, period)
        if found is None:
            raise
        return found.id
    return run_id


def get_run(session: Session, *, run_id: str, lock: bool = False) -> BillRun:
    query = select(BillRun).where(BillRun.id == run_id)
    run = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if run is None:
        raise NotFound("Bill run not found", detail=run_id)
    return run


def discard_run(session: Session, *, run_id: str, now: datetime) -> None:
    """Throw a draft run away: its draft bills and failures go, the cycle may be run again."""
    run = get_run(session, run_id=run_id, lock=True)
    if run.state not in (RUNNING, DRAFT_RUN):
        raise Conflict("Bill run not a draft", detail=f"run {run_id} is {run.state}")
    bills = select(Bill.id).where(Bill.bill_run_id == run_id).scalar_subquery()
    release_adjustments(session, bill_ids=bills)
    for statement in (
        delete(BillLine).where(BillLine.bill_id.in_(bills)),
        delete(Bill).where(Bill.bill_run_id == run_id),
        delete(RunFailure).where(RunFailure.bill_run_id == run_id),
    ):
        session.execute(statement.execution_options(synchronize_session=False))
    run.state = DISCARDED
    run.updated_at = now


def list_runs(session: Session, *, limit: int = 50) -> list[BillRun]:
    return list(session.scalars(select(BillRun).order_by(BillRun.pk.desc()).limit(limit)))


def run_failures(session: Session, *, run_id: str) -> list[tuple[str, str]]:
    rows = session.execute(
        select(RunFailure.billing_account_id, RunFailure.reason)
        .where(RunFailure.bill_run_id == run_id)
        .order_by(RunFailure.billing_account_id)
    )
    return [(str(account_id), str(reason)) for account_id, reason in rows]


def run_summary(session: Session, *, run_id: str) -> RunSummary:
    run = get_run(session, run_id=run_id)
    totals: dict[str, CurrencyTotals] = {}
    bills = issued = 0
    query = (
        select(
            Bill.currency,
            Bill.state,
            func.count(),
            func.sum(Bill.amount_excl_tax_minor),
            func.sum(Bill.tax_minor),
            func.sum(Bill.amount_incl_tax_minor),
        )
        .where(Bill.bill_run_id == run_id)
        .group_by(Bill.currency, Bill.state)
    )
    for currency, state, count, excl, tax, incl in session.execute(query):
        bills += int(count)
        issued += 0 if state == DRAFT_BILL else int(count)
        before = totals.get(currency, CurrencyTotals(0, 0, 0, 0))
        totals[currency] = CurrencyTotals(
            before.bills + int(count),
            before.amount_excl_tax_minor + int(excl or 0),
            before.tax_minor + int(tax or 0),
            before.amount_incl_tax_minor + int(incl or 0),
        )
    summary = run.summary or {}
    return RunSummary(
        run_id=run.id,
        cycle_id=run.cycle_id,
        period=Period(run.period_start, run.period_end),
        state=run.state,
        accounts_total=run.accounts_total,
        accounts_done=run.accounts_done,
        accounts_failed=run.accounts_failed,
        accounts_without_charges=int(summary.get("accounts_without_charges", 0)),
        bills=bills,
        bills_issued=issued,
        totals=dict(sorted(totals.items())),
        failures=tuple(run_failures(session, run_id=run_id)),
    )


# --- the draft run --------------------------------------------------------------------------


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _settled_accounts(session: Session, run_id: str, account_ids: Sequence[str] | None) -> set[str]:
    """Accounts this run has billed or failed (among ``account_ids``; None: all)."""
    found: set[str] = set()
    for table in (Bill, RunFailure):
        column = table.billing_account_id
        query = select(column).where(table.bill_run_id == run_id)
        if account_ids is None:
            found.update(session.scalars(query))
            continue
        for chunk in _chunks(account_ids, _IN_CHUNK):
            found.update(session.scalars(query.where(column.in_(chunk))))
    return found


@dataclass(slots=True)
class _Tally:
    done: int
    failed: int
    empty: int = 0


def run_bills(
    database: Database,
    *,
    run_id: str,
    clock: Clock,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
    charge_source: ChargeSource | None = None,
    accounts: AccountSource | None = None,
) -> RunSummary:
    """Draft a bill for every account of the run's cycle not billed or failed yet, one
    transaction per chunk; the run goes running -> draft. Safe to call again at any point."""
    compute = charge_source or default_charge_source()
    cycle_accounts = accounts or default_account_source()
    with database.unit_of_work() as session:
        run = get_run(session, run_id=run_id, lock=True)
        if run.state not in (RUNNING, DRAFT_RUN):
            raise Conflict("Bill run not running", detail=f"run {run_id} is {run.state}")
        period = Period(run.period_start, run.period_end)
        # Usage rated after the run started waits for the next bill: every chunk, and a
        # restarted run, charge as of the same instant.
        as_of = run.created_at
        everyone = sorted(set(cycle_accounts(session, cycle_id=run.cycle_id)))
        settled = _settled_accounts(session, run_id, None)
        todo = [account_id for account_id in everyone if account_id not in settled]
        tally = _Tally(
            done=session.scalar(select(func.count()).where(Bill.bill_run_id == run_id)) or 0,
            failed=session.scalar(select(func.count()).where(RunFailure.bill_run_id == run_id))
            or 0,
        )
        run.state = RUNNING
        run.accounts_total = len(everyone)
        _store_tally(run, tally, clock.now())
    if progress:
        progress(len(everyone) - len(todo), len(everyone))
    for chunk in _chunks(todo, chunk_size):
        try:
            _bill_chunk(database, run_id, chunk, period, as_of, compute, tally, clock)
        except (OperationalError, RunNotRunning):
            raise  # the database itself, or the run gone: stop; a restart goes on from here
        except Exception:
            log.exception("bill run %s: a chunk failed, billing its accounts one by one", run_id)
            for account_id in chunk:
                _bill_one_alone(database, run_id, account_id, period, as_of, compute, tally, clock)
        if progress:
            progress(len(chunk), len(everyone))
    with database.unit_of_work() as session:
        run = get_run(session, run_id=run_id, lock=True)
        if run.state == RUNNING:
            run.state = DRAFT_RUN
            run.updated_at = clock.now()
    with database.unit_of_work(write=False) as session:
        return run_summary(session, run_id=run_id)


def _store_tally(run: BillRun, tally: _Tally, now: datetime) -> None:
    run.accounts_done = tally.done + tally.empty
    run.accounts_failed = tally.failed
    run.summary = {**(run.summary or {}), "accounts_without_charges": tally.empty}
    run.updated_at = now


def _bill_chunk(
    database: Database,
    run_id: str,
    chunk: list[str],
    period: Period,
    as_of: datetime,
    compute: ChargeSource,
    tally: _Tally,
    clock: Clock,
) -> None:
    with database.unit_of_work() as session:
        run = get_run(session, run_id=run_id, lock=True)  # one process per run at a time
        if run.state != RUNNING:
            raise RunNotRunning("Bill run not running", detail=f"run {run_id} is {run.state}")
        settled = _settled_accounts(session, run_id, chunk)
        chunk = [account_id for account_id in chunk if account_id not in settled]
        results = compute(session, account_ids=chunk, period=period, now=as_of) if chunk else []
        added = _write_drafts(session, run_id, period, results, clock.now())
        seen = {str(result.billing_account_id) for result in results}
        missing = [account_id for account_id in chunk if account_id not in seen]
        _write_failures(
            session,
            run_id,
            [(account_id, "no charges computed for the account") for account_id in missing],
            clock.now(),
        )
        chunk_tally = _Tally(
            done=tally.done + added.bills,
            failed=tally.failed + added.failures + len(missing),
            empty=tally.empty + added.empty,
        )
        _store_tally(run, chunk_tally, clock.now())
    # Counted once the chunk has committed.
    tally.done, tally.failed, tally.empty = chunk_tally.done, chunk_tally.failed, chunk_tally.empty


def _bill_one_alone(
    database: Database,
    run_id: str,
    account_id: str,
    period: Period,
    as_of: datetime,
    compute: ChargeSource,
    tally: _Tally,
    clock: Clock,
) -> None:
    try:
        _bill_chunk(database, run_id, [account_id], period, as_of, compute, tally, clock)
        return
    except (OperationalError, RunNotRunning):
        raise
    except IntegrityError:
        return  # another process billed it meanwhile
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
    with database.unit_of_work() as session:
        run = get_run(session, run_id=run_id, lock=True)
        if _settled_accounts(session, run_id, [account_id]):
            return
        _write_failures(session, run_id, [(account_id, reason)], clock.now())
        failed = _Tally(tally.done, tally.failed + 1, tally.empty)
        _store_tally(run, failed, clock.now())
    tally.failed += 1


@dataclass(frozen=True, slots=True)
class _Added:
    bills: int
    failures: int
    empty: int


def _write_drafts(
    session: Session, run_id: str, period: Period, results: Sequence[Any], now: datetime
) -> _Added:
    """The chunk's draft bills and lines (bulk Core inserts) and its charge failures."""
    bills: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    failures: list[tuple[str, str]] = []
    empty = 0
    charged = [str(result.billing_account_id) for result in results if hasattr(result, "lines")]
    pending = pending_adjustments(session, account_ids=charged, created_before=now)
    carried: dict[str, str] = {}  # account -> the draft bill carrying its adjustments
    carried_ids: list[str] = []
    for result in results:
        if not hasattr(result, "lines"):
            failures.append((str(result.billing_account_id), str(result.reason)))
            continue
        adjustments = [
            adjustment
            for adjustment in pending.get(str(result.billing_account_id), [])
            if adjustment.currency == result.currency
        ]
        bill_lines = [*result.lines, *adjustments]
        if not bill_lines:
            empty += 1  # nothing to bill: no bill (ADR 0020)
            continue
        bill_id = new_id()
        if adjustments:
            carried[str(result.billing_account_id)] = bill_id
            carried_ids.extend(adjustment.id for adjustment in adjustments)
        excl = sum(int(line.amount_minor) for line in bill_lines)
        tax = sum(int(line.tax_minor) for line in bill_lines)
        bills.append(
            {
                "id": bill_id,
                "bill_no": None,
                "kind": REGULAR,
                "billing_account_id": str(result.billing_account_id),
                "bill_run_id": run_id,
                "state": DRAFT_BILL,
                "currency": str(result.currency),
                "period_start": period.start,
                "period_end": period.end,
                "bill_date": now,
                "payment_due_date": None,
                "amount_excl_tax_minor": excl,
                "tax_minor": tax,
                "amount_incl_tax_minor": excl + tax,
                "remaining_minor": excl + tax,
                "corrects_bill_id": None,
                "reason": None,
                "created_at": now,
                "issued_at": None,
                "updated_at": now,
            }
        )
        lines.extend(_line_row(bill_id, number, line) for number, line in enumerate(bill_lines, 1))
    if bills:
        session.execute(insert(cast(Table, Bill.__table__)), bills)
    if lines:
        session.execute(insert(cast(Table, BillLine.__table__)), lines)
    if carried:
        mark_adjustments_billed(session, bill_ids_by_account=carried, adjustment_ids=carried_ids)
    _write_failures(session, run_id, failures, now)
    return _Added(len(bills), len(failures), empty)


def _line_row(bill_id: str, number: int, line: Any) -> dict[str, object]:
    quantity = line.quantity
    return {
        "id": new_id(),
        "bill_id": bill_id,
        "line_no": number,
        "product_id": line.product_id,
        "product_name": (line.product_name or "")[:200] or None,
        "offering_id": line.offering_id,
        "type": line.type,
        "description": str(line.description)[:255],
        "period_start": line.period_start,
        "period_end": line.period_end,
        "quantity": None if quantity is None else str(quantity)[:64],
        "amount_minor": int(line.amount_minor),
        "tax_category": line.tax_category,
        "tax_rate": str(line.tax_rate),
        "tax_minor": int(line.tax_minor),
    }


def _write_failures(
    session: Session, run_id: str, failures: Sequence[tuple[str, str]], now: datetime
) -> None:
    if failures:
        session.execute(
            insert(cast(Table, RunFailure.__table__)),
            [
                {
                    "bill_run_id": run_id,
                    "billing_account_id": account_id,
                    "reason": reason[:_REASON_LENGTH],
                    "created_at": now,
                }
                for account_id, reason in failures
            ],
        )
