"""``ossbss billing``: bill runs from the command line, with a progress bar and a summary.

ossbss billing run --cycle default [--period 2026-01 | --as-of 2026-02-03] [--approve]
ossbss billing approve RUN_ID
ossbss billing runs
ossbss billing failures RUN_ID
ossbss billing discard RUN_ID
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Protocol

import typer
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.billing import issue, run
from ossbss.kernel import Clock, Database, DomainError, InvalidInput
from ossbss.kernel.money import minor_unit_exponent
from ossbss.kernel.time import Period, parse_datetime

console = Console()
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_FAILURES_SHOWN = 20


class BillingSettings(BaseSettings):
    """``OSSBSS_BILLING_*``: the operator's payment terms (days from the bill date), used
    when an account's bill cycle gives no paymentDueDateOffset."""

    model_config = SettingsConfigDict(env_prefix="OSSBSS_BILLING_", extra="ignore")

    payment_terms_days: int = issue.DEFAULT_PAYMENT_TERMS_DAYS


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


def cycle_of(session: Session, cycle_id: str) -> account.BillCycle | None:
    """The cycle's periods, read through one of its accounts (None: the default monthly)."""
    for account_id in run.default_account_source()(session, cycle_id=cycle_id)[:1]:
        return account.bill_cycle_for(session, account_id=account_id)
    return None


def _containing(cycle: account.BillCycle | None, instant: datetime) -> Period:
    return cycle.period_containing(instant) if cycle else account.billing_period(instant)


def bill_period(cycle: account.BillCycle | None, *, month: str | None, as_of: datetime) -> Period:
    """``month`` (YYYY-MM): the cycle period that starts in that month; otherwise the cycle
    period that ended last at or before ``as_of``."""
    if month is not None:
        found = _MONTH.match(month.strip())
        if not found or not 1 <= int(found[2]) <= 12:
            raise InvalidInput("Invalid period", field="period", detail="YYYY-MM")
        day = cycle.billing_day if cycle else 1
        return _containing(cycle, datetime(int(found[1]), int(found[2]), day, tzinfo=UTC))
    current = _containing(cycle, as_of)
    return _containing(cycle, current.start - timedelta(microseconds=1))


def _instant(text: str) -> datetime:
    text = text.strip()
    try:
        return parse_datetime(text if "T" in text else f"{text}T00:00:00Z")
    except ValueError as exc:
        raise InvalidInput("Invalid date", field="as-of", detail=str(exc)) from None


@contextmanager
def _bar(label: str) -> Iterator[run.Progress]:
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, total=total, advance=done)

        yield advance


def _money(currency: str, minor: int) -> str:
    return f"{currency} {Decimal(minor).scaleb(-minor_unit_exponent(currency)):,}"


def print_summary(summary: run.RunSummary) -> None:
    period = summary.period
    console.print(
        f"bill run {summary.run_id} ({summary.cycle_id}, "
        f"{period.start:%Y-%m-%d}..{period.end:%Y-%m-%d}): {summary.state}"
    )
    console.print(
        f"  accounts {summary.accounts_total}: billed {summary.bills} "
        f"(issued {summary.bills_issued}), nothing to bill {summary.accounts_without_charges}, "
        f"failed {summary.accounts_failed}"
    )
    for currency, totals in summary.totals.items():
        console.print(
            f"  {currency}: {totals.bills} bills, excl. tax "
            f"{_money(currency, totals.amount_excl_tax_minor)}, tax "
            f"{_money(currency, totals.tax_minor)}, total "
            f"{_money(currency, totals.amount_incl_tax_minor)}"
        )
    for account_id, reason in summary.failures[:_FAILURES_SHOWN]:
        console.print(f"  [red]failed[/red] {account_id}: {reason}")
    if len(summary.failures) > _FAILURES_SHOWN:
        console.print(
            f"  ... {len(summary.failures) - _FAILURES_SHOWN} more: "
            f"ossbss billing failures {summary.run_id}"
        )


def build_app(platform: Callable[[], AbstractContextManager[PlatformLike]]) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help="Billing: bill runs.")

    def fail(exc: DomainError) -> None:
        console.print(f"[red]error:[/red] {exc.reason}: {exc.message}")
        raise typer.Exit(code=2)

    def approve_with_bar(opened: PlatformLike, run_id: str, chunk_size: int) -> run.RunSummary:
        with _bar("issuing") as advance:
            return issue.approve_run(
                opened.database,
                run_id=run_id,
                clock=opened.clock,
                chunk_size=chunk_size,
                progress=advance,
                payment_terms_days=BillingSettings().payment_terms_days,
            )

    @app.command("run")
    def run_command(
        cycle: Annotated[str, typer.Option(help='bill cycle id ("default": accounts with none)')],
        period: Annotated[
            str | None, typer.Option(help="YYYY-MM: the cycle period starting in that month")
        ] = None,
        as_of: Annotated[
            str | None,
            typer.Option(help="bill the cycle period that ended last before this date (now)"),
        ] = None,
        approve: Annotated[bool, typer.Option(help="issue the bills at once")] = False,
        chunk_size: Annotated[int, typer.Option(min=1, help="accounts per transaction")] = (
            run.CHUNK_SIZE
        ),
    ) -> None:
        """Draft the bills of a cycle's period (a killed run continues when started again)."""
        try:
            with platform() as opened:
                now = opened.clock.now()
                with opened.database.unit_of_work() as session:
                    window = bill_period(
                        cycle_of(session, cycle),
                        month=period,
                        as_of=_instant(as_of) if as_of else now,
                    )
                    run_id = run.start_run(session, cycle_id=cycle, period=window, now=now)
                console.print(f"bill run {run_id}")
                with opened.database.unit_of_work(write=False) as session:
                    state = run.get_run(session, run_id=run_id).state
                if state in (run.RUNNING, run.DRAFT_RUN):
                    with _bar("billing") as advance:
                        summary = run.run_bills(
                            opened.database,
                            run_id=run_id,
                            clock=opened.clock,
                            chunk_size=chunk_size,
                            progress=advance,
                        )
                if approve or state == run.APPROVING:
                    summary = approve_with_bar(opened, run_id, chunk_size)
                elif state not in (run.RUNNING, run.DRAFT_RUN):
                    with opened.database.unit_of_work(write=False) as session:
                        summary = run.run_summary(session, run_id=run_id)
        except DomainError as exc:
            fail(exc)
        print_summary(summary)

    @app.command("approve")
    def approve_command(
        run_id: str,
        chunk_size: Annotated[int, typer.Option(min=1, help="bills per transaction")] = (
            run.CHUNK_SIZE
        ),
    ) -> None:
        """Issue a draft run's bills: numbers, due dates, ledger (a killed approval goes on)."""
        try:
            with platform() as opened:
                summary = approve_with_bar(opened, run_id, chunk_size)
        except DomainError as exc:
            fail(exc)
        print_summary(summary)

    @app.command("discard")
    def discard_command(run_id: str) -> None:
        """Throw a draft run away (its draft bills go; the cycle may be run again)."""
        try:
            with platform() as opened, opened.database.unit_of_work() as session:
                run.discard_run(session, run_id=run_id, now=opened.clock.now())
        except DomainError as exc:
            fail(exc)
        console.print(f"bill run {run_id} discarded")

    @app.command("runs")
    def runs_command(
        limit: Annotated[int, typer.Option(min=1, help="newest first")] = 20,
    ) -> None:
        """The latest bill runs."""
        table = Table("id", "cycle", "period", "state", "accounts", "done", "failed", "created")
        with platform() as opened, opened.database.unit_of_work(write=False) as session:
            for found in run.list_runs(session, limit=limit):
                table.add_row(
                    found.id,
                    found.cycle_id,
                    f"{found.period_start:%Y-%m-%d}..{found.period_end:%Y-%m-%d}",
                    found.state,
                    str(found.accounts_total),
                    str(found.accounts_done),
                    str(found.accounts_failed),
                    f"{found.created_at:%Y-%m-%d %H:%M}",
                )
        console.print(table)

    @app.command("failures")
    def failures_command(run_id: str) -> None:
        """The accounts a run could not bill, and why."""
        try:
            with platform() as opened, opened.database.unit_of_work(write=False) as session:
                run.get_run(session, run_id=run_id)
                failures = run.run_failures(session, run_id=run_id)
        except DomainError as exc:
            fail(exc)
        for account_id, reason in failures:
            typer.echo(f"{account_id}\t{reason}")  # tab-separated: for scripts
        console.print(f"{len(failures)} failed")

    return app
