"""``ossbss report ...``: each report as a rich table, or as CSV with ``--csv FILE``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.table import Table

from ossbss.kernel import Clock, Database, DomainError
from ossbss.reporting.assurance import revenue_assurance
from ossbss.reporting.domain import decimal_text
from ossbss.reporting.export import as_text, columns, to_csv
from ossbss.reporting.reports import REPORTS, Query

console = Console()


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


PeriodOption = Annotated[
    str | None, typer.Option("--period", help="one month, YYYY-MM (same as --from X --to X)")
]
FromOption = Annotated[str | None, typer.Option("--from", help="first month, YYYY-MM")]
ToOption = Annotated[str | None, typer.Option("--to", help="last month, YYYY-MM (included)")]
AtOption = Annotated[str | None, typer.Option("--at", help="instant or date (default: now)")]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="write the CSV export here")]


def build_app(platform: Callable[[], AbstractContextManager[PlatformLike]]) -> typer.Typer:
    """The ``report`` command group; ``platform`` opens the platform for one command."""
    app = typer.Typer(no_args_is_help=True, help="Revenue reports and revenue assurance.")

    def show(name: str, query: Query, csv_file: Path | None) -> None:
        report = REPORTS[name]
        try:
            with platform() as opened, opened.database.unit_of_work(write=False) as session:
                now = opened.clock.now()
                rows = report.run(session, query, now)
                summary = (
                    revenue_assurance(session, period=query.months(now))
                    if name == "assurance"
                    else None
                )
        except DomainError as exc:
            console.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(code=2) from None
        if csv_file is not None:
            csv_file.write_text(to_csv(rows, report.row_type), encoding="utf-8")
            console.print(f"{len(rows)} rows written to {csv_file}")
            return
        table = Table(title=report.title)
        names = columns(report.row_type)
        for column in names:
            table.add_column(column, justify="right" if _numeric(column) else "left")
        for row in rows:
            text = as_text(row)
            table.add_row(*(text[column] for column in names))
        console.print(table)
        if summary is not None:
            totals = ", ".join(
                f"{kind} {decimal_text(amount, currency or None)} {currency}"
                for (kind, currency), amount in summary.totals.items()
            )
            verdict = "clean" if summary.clean else f"{len(summary.gaps)} gaps ({totals})"
            console.print(
                f"usage received {summary.received}, rated {summary.rated}, billed "
                f"{summary.billed}, waiting {summary.waiting}, quarantined "
                f"{summary.quarantined}: {verdict}",
                soft_wrap=True,
            )

    def months_query(period: str | None, first: str | None, last: str | None) -> Query:
        if period and (first or last):
            console.print("[red]error:[/red] give --period, or --from/--to")
            raise typer.Exit(code=2)
        return Query(first=period or first, last=period or last)

    @app.command("revenue")
    def revenue(
        period: PeriodOption = None,
        first: FromOption = None,
        last: ToOption = None,
        csv: CsvOption = None,
    ) -> None:
        """Billed revenue by offering and month (tax excluded, credit notes deducted)."""
        show("revenue", months_query(period, first, last), csv)

    @app.command("arpu")
    def arpu(
        period: PeriodOption = None,
        first: FromOption = None,
        last: ToOption = None,
        csv: CsvOption = None,
    ) -> None:
        """Average revenue per billed account, per month."""
        show("arpu", months_query(period, first, last), csv)

    @app.command("collection")
    def collection(
        period: PeriodOption = None,
        first: FromOption = None,
        last: ToOption = None,
        csv: CsvOption = None,
    ) -> None:
        """What was paid of what was billed, by month of issue."""
        show("collection", months_query(period, first, last), csv)

    @app.command("assurance")
    def assurance(period: PeriodOption = None, csv: CsvOption = None) -> None:
        """Revenue assurance for a month: usage received/rated/billed and every gap."""
        show("assurance", months_query(period, None, None), csv)

    @app.command("mrr")
    def mrr(at: AtOption = None, csv: CsvOption = None) -> None:
        """Monthly recurring revenue of the products live at an instant, by offering."""
        show("mrr", Query(at=at), csv)

    @app.command("aging")
    def aging(
        at: AtOption = None,
        account: Annotated[str | None, typer.Option(help="one billing account")] = None,
        csv: CsvOption = None,
    ) -> None:
        """What is due on issued bills by days past due (current, 0-30, 31-60, 61-90, 90+)."""
        show("aging", Query(at=at, billing_account_id=account), csv)

    return app


def _numeric(column: str) -> bool:
    return column not in {"month", "currency", "offering_id", "name", "kind", "reason"} and not (
        column.endswith("_id") or column.endswith("_ids")
    )
