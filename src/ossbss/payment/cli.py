"""``ossbss payment ...``: record a payment, import a bank statement, review suspense, aging.
Each command is an edge and owns its transactions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from ossbss import account
from ossbss.kernel import Clock, Database, DomainError
from ossbss.kernel.money import Money, minor_unit_exponent
from ossbss.kernel.time import parse_datetime
from ossbss.payment.aging import aging
from ossbss.payment.bank_statement import (
    StatementMapping,
    chunks,
    import_lines,
    parse_statement,
    read_statement,
)
from ossbss.payment.domain import BUCKETS
from ossbss.payment.gateway import METHODS
from ossbss.payment.service import record_payment
from ossbss.payment.suspense import apply_suspense, dismiss_suspense, suspense_items
from ossbss.payment.wiring import current_gateway

console = Console()
BATCH = 500  # statement lines per transaction


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


def _amount(minor: int, currency: str) -> str:
    return f"{Decimal(minor).scaleb(-minor_unit_exponent(currency)):,} {currency}"


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        raise typer.Exit(code=2) from None


def _mapping(path: Path | None) -> StatementMapping:
    if path is None:
        return StatementMapping()
    given = json.loads(path.read_text(encoding="utf-8"))
    known = {f.name for f in fields(StatementMapping)}
    unknown = set(given) - known
    if unknown:
        console.print(f"[red]error:[/red] unknown mapping keys {sorted(unknown)}: {sorted(known)}")
        raise typer.Exit(code=2)
    return StatementMapping(**given)


def build_app(platform: Callable[[], AbstractContextManager[PlatformLike]]) -> typer.Typer:
    """The ``payment`` command group; ``platform`` opens the platform for one command."""
    app = typer.Typer(no_args_is_help=True, help="Payments, bank statements, suspense, aging.")
    suspense_app = typer.Typer(no_args_is_help=True, help="Payments held for review.")
    app.add_typer(suspense_app, name="suspense")

    @app.command("record")
    def record(
        account_id: Annotated[str, typer.Option("--account", help="billing account id")],
        amount: Annotated[str, typer.Option(help="in major units, e.g. 12.50")],
        method: Annotated[str, typer.Option(help=", ".join(METHODS))] = "bankTransfer",
        currency: Annotated[str | None, typer.Option(help="default: the account's")] = None,
        reference: Annotated[str | None, typer.Option()] = None,
        external_id: Annotated[str | None, typer.Option(help="idempotency key")] = None,
        token: Annotated[str | None, typer.Option(help="PSP token (card)")] = None,
    ) -> None:
        """Record one payment: allocated to the oldest open bills, the rest kept as credit."""
        with _errors(), platform() as opened, opened.database.unit_of_work() as session:
            now = opened.clock.now()
            terms = account.billing_terms(session, account_ids=[account_id])
            unit = currency or (terms[account_id].currency if account_id in terms else "EUR")
            try:
                money = Money.from_decimal(Decimal(amount), unit.upper())
            except InvalidOperation:
                console.print(f"[red]error:[/red] --amount: {amount!r} is not a number")
                raise typer.Exit(code=2) from None
            recorded = record_payment(
                session,
                billing_account_id=account_id,
                amount=money,
                method=method,
                now=now,
                gateway=current_gateway(),
                reference=reference,
                external_id=external_id,
                token=token,
                source="cli",
            )
        reason = f" ({recorded.reason})" if recorded.reason else ""
        console.print(f"payment {recorded.payment_id}: {recorded.status}{reason}", highlight=False)

    @app.command("import-statement")
    def import_statement(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        mapping: Annotated[
            Path | None, typer.Option(help="JSON: {date, amount, currency, reference, ...}")
        ] = None,
    ) -> None:
        """Import a bank statement CSV: lines matched by reference are applied, the others
        held in suspense; lines imported before are counted as duplicates."""
        with _errors():
            lines, report = parse_statement(read_statement(file), mapping=_mapping(mapping))
            with (
                platform() as opened,
                Progress(
                    "[progress.description]{task.description}",
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=console,
                ) as progress,
            ):
                task = progress.add_task("importing", total=len(lines))
                for batch in chunks(lines, BATCH):
                    with opened.database.unit_of_work() as session:
                        part = import_lines(
                            session,
                            lines=batch,
                            file_name=file.name,
                            now=opened.clock.now(),
                            gateway=current_gateway(),
                        )
                    report.add(part)
                    progress.advance(task, len(batch))
        applied = ", ".join(_amount(m, c) for c, m in sorted(report.applied_minor.items()))
        console.print(
            f"{report.lines} lines: {report.applied} applied ({applied or 'nothing'}), "
            f"{report.held} held, {report.duplicates} duplicates, {report.ignored} debits "
            f"ignored, {len(report.rejected)} rejected",
            highlight=False,
        )
        for line_no, reason in report.held_lines + report.rejected:
            console.print(f"  line {line_no}: {reason}", highlight=False)
        if report.rejected:
            raise typer.Exit(code=1)

    @suspense_app.command("list")
    def list_items(
        status: Annotated[str, typer.Option(help="held, applied, dismissed or all")] = "held",
    ) -> None:
        """Payments held for review."""
        with platform() as opened, opened.database.unit_of_work(write=False) as session:
            items = suspense_items(session, status=None if status == "all" else status)
        table = Table("id", "source", "amount", "reference", "account", "status", "reason")
        for item in items:
            table.add_row(
                item.id,
                item.source,
                _amount(item.amount.minor, item.amount.currency),
                item.reference or "",
                item.billing_account_id or "",
                item.status,
                item.reason,
            )
        console.print(table)

    @suspense_app.command("apply")
    def apply(
        item_id: Annotated[str, typer.Argument(help="suspense item id")],
        account_id: Annotated[str, typer.Option("--account", help="billing account id")],
    ) -> None:
        """Apply a held payment to an account (oldest bills first, the rest as credit)."""
        with _errors(), platform() as opened, opened.database.unit_of_work() as session:
            payment_id = apply_suspense(
                session,
                item_id=item_id,
                billing_account_id=account_id,
                now=opened.clock.now(),
                gateway=current_gateway(),
            )
        console.print(f"applied: payment {payment_id} to {account_id}", highlight=False)

    @suspense_app.command("dismiss")
    def dismiss(item_id: Annotated[str, typer.Argument(help="suspense item id")]) -> None:
        """Dismiss a held payment (a duplicate, or money sent back outside)."""
        with _errors(), platform() as opened, opened.database.unit_of_work() as session:
            payment_id = dismiss_suspense(session, item_id=item_id, now=opened.clock.now())
        console.print(f"dismissed: payment {payment_id}", highlight=False)

    @app.command("aging")
    def aging_report(
        as_of: Annotated[str | None, typer.Option(help="ISO date; default now")] = None,
        account_id: Annotated[str | None, typer.Option("--account")] = None,
        as_csv: Annotated[bool, typer.Option("--csv", help="CSV, minor units")] = False,
    ) -> None:
        """Open bills by days past due (current, 0-30, 31-60, 61-90, 90+) and the balance."""
        with _errors(), platform() as opened, opened.database.unit_of_work(write=False) as s:
            when: datetime = parse_datetime(as_of) if as_of else opened.clock.now()
            rows = aging(s, account_ids=[account_id] if account_id else None, as_of=when)
        table = Table("account", "currency", *BUCKETS, "balance")
        if as_csv:
            typer.echo(",".join(["account", "currency", *BUCKETS, "balance"]))
        for account_key, result in rows.items():
            for currency in sorted(set(result.buckets) | set(result.balance)):
                buckets = result.buckets.get(currency, {})
                if as_csv:
                    values = [buckets.get(name, 0) for name in BUCKETS]
                    values.append(result.balance.get(currency, 0))
                    typer.echo(",".join([account_key, currency, *map(str, values)]))
                    continue
                table.add_row(
                    account_key,
                    currency,
                    *(_amount(buckets.get(name, 0), currency) for name in BUCKETS),
                    _amount(result.balance.get(currency, 0), currency),
                )
        if not as_csv:
            console.print(table)

    return app
