"""``ossbss billing documents render`` (the documents of issued bills, with a progress bar) and
``ossbss billing pdf BILL -o FILE`` (one bill's document)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ossbss.billing.documents.background import render_on_demand, render_pending, render_pool
from ossbss.billing.documents.store import count_without_document
from ossbss.kernel import Clock, Database, DomainError

console = Console()


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


PlatformFactory = Callable[[], AbstractContextManager[PlatformLike]]


def add_commands(billing_app: typer.Typer, platform: PlatformFactory) -> None:
    """Add ``documents render`` and ``pdf`` to the ``ossbss billing`` command group."""
    documents_app = typer.Typer(no_args_is_help=True, help="Invoice documents (PDF).")
    documents_app.command("render")(_render_command(platform))
    billing_app.add_typer(documents_app, name="documents")
    billing_app.command("pdf")(_pdf_command(platform))


def _render_command(platform: PlatformFactory) -> Callable[..., None]:
    def render(
        cycle: Annotated[str | None, typer.Option(help="only the bills of this bill cycle")] = None,
        run: Annotated[str | None, typer.Option("--run", help="only the bills of this run")] = None,
        limit: Annotated[int | None, typer.Option(help="at most this many bills")] = None,
        processes: Annotated[
            int, typer.Option(help="rendering processes (0: one per core, 1: in this process)")
        ] = 0,
    ) -> None:
        """Render and keep the documents of issued bills that have none yet."""
        columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with platform() as opened:
            with opened.database.unit_of_work(write=False) as session:
                total = count_without_document(session, run_id=run, cycle_id=cycle)
            if limit is not None:
                total = min(total, limit)
            pool = render_pool(processes) if processes != 1 and total > 1 else None
            started = time.perf_counter()
            with pool or nullcontext(), Progress(*columns, console=console) as bar:
                task = bar.add_task("invoices", total=total)
                stored = render_pending(
                    opened.database,
                    clock=opened.clock,
                    limit=limit,
                    run_id=run,
                    cycle_id=cycle,
                    pool=pool,
                    on_batch=lambda count: bar.update(task, advance=count),
                )
            seconds = time.perf_counter() - started
        rate = f" ({stored / seconds:.1f}/s)" if stored and seconds else ""
        console.print(f"{stored} invoice documents rendered in {seconds:.1f} s{rate}")

    return render


def _pdf_command(platform: PlatformFactory) -> Callable[..., None]:
    def pdf(
        bill: Annotated[str, typer.Argument(help="the bill's id or number (INV-...)")],
        output: Annotated[Path, typer.Option("-o", "--output", help="where to write the PDF")],
        rerender: Annotated[
            bool, typer.Option(help="render an issued bill's document again and keep it")
        ] = False,
    ) -> None:
        """Write a bill's document (PDF) to a file; a draft's carries a DRAFT watermark."""
        try:
            with platform() as opened:
                content = render_on_demand(
                    opened.database, clock=opened.clock, bill_id=bill, rerender=rerender
                )
        except DomainError as exc:
            console.print(f"[red]error:[/red] {exc.reason}: {exc.message}", highlight=False)
            raise typer.Exit(code=2) from None
        output.write_bytes(content)
        console.print(f"{output} ({len(content):,} bytes)", highlight=False)

    return pdf
