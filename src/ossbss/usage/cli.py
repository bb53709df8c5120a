"""``ossbss usage ...``: CDR file import and directory pickup. Each file is its own edge:
it commits chunk by chunk with its progress (usage/cdr.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ossbss.kernel import Clock, Database, DomainError
from ossbss.usage.cdr import FileReport, Mapping, import_file
from ossbss.usage.cdr_pickup import CdrPickup

console = Console()


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


def build_app(platform: Callable[[], AbstractContextManager[PlatformLike]]) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help="Usage: CDR files and mediation.")

    @app.command("import")
    def import_command(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        mapping: Annotated[
            Path | None, typer.Option(help="the feed's TOML column mapping", exists=True)
        ] = None,
        kind: Annotated[
            str | None, typer.Option(help="data, voice or sms: the default mapping of that kind")
        ] = None,
        chunk_rows: Annotated[int, typer.Option(min=1, help="rows per transaction")] = 50_000,
    ) -> None:
        """Import one CDR file (exactly once; a killed import resumes when run again)."""
        try:
            feed = _mapping(mapping, kind)
            with platform() as opened:
                report = _import(opened, file, feed, chunk_rows)
        except DomainError as exc:
            console.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(code=2) from None
        _summary(report)

    @app.command("watch")
    def watch_command(
        directory: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
        mapping: Annotated[Path | None, typer.Option(exists=True)] = None,
        kind: Annotated[str | None, typer.Option()] = None,
        interval: Annotated[float, typer.Option(help="seconds between scans")] = 5.0,
        once: Annotated[bool, typer.Option(help="scan once and stop")] = False,
    ) -> None:
        """Import every *.csv appearing in DIR; each file once (already seen files are skipped
        by content hash, so renames do not double count)."""
        try:
            feed = _mapping(mapping, kind)
            with platform() as opened:
                pickup = CdrPickup(
                    directory,
                    lambda path: _import(opened, path, feed, 50_000),
                    on_file=_summary,
                )
                while True:
                    pickup.scan()
                    if once:
                        return
                    time.sleep(interval)
        except DomainError as exc:
            console.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            return

    return app


def _mapping(path: Path | None, kind: str | None) -> Mapping | None:
    if path is not None:
        return Mapping.load(path)
    return Mapping.default(kind) if kind else None


def _import(opened: PlatformLike, file: Path, feed: Mapping | None, chunk_rows: int) -> FileReport:
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(file.name, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return import_file(
            opened.database,
            opened.clock,
            path=file,
            mapping=feed,
            chunk_rows=chunk_rows,
            progress=advance,
        )


def _summary(report: FileReport) -> None:
    if report.already_processed:
        console.print(f"{report.name}: already processed (sha256 {report.sha256[:12]}…)")
        return
    counts = report.report
    resumed = f", resumed at row {report.resumed_at}" if report.resumed_at else ""
    console.print(
        f"{report.name}: {report.rows} rows: {counts.accepted} accepted, "
        f"{counts.suspended} suspended, {counts.duplicates} duplicates, "
        f"{counts.rejected} quarantined{resumed}",
        highlight=False,
    )
