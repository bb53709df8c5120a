"""``ossbss inventory ...``: each command is an edge and owns its transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console

from ossbss.inventory.csv_import import ImportFailed, import_csv
from ossbss.kernel import Clock, Database, DomainError

console = Console()


class PlatformLike(Protocol):
    """What a command needs of the platform (the composition root builds it)."""

    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


class ImportKind(StrEnum):
    devices = "devices"
    ports = "ports"
    links = "links"


def build_app(platform: Callable[[], AbstractContextManager[PlatformLike]]) -> typer.Typer:
    """The ``inventory`` command group; ``platform`` opens the platform for one command."""
    app = typer.Typer(no_args_is_help=True, help="Network and service inventory.")

    @app.command("import")
    def import_file(
        kind: Annotated[ImportKind, typer.Argument(help="what the file holds")],
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    ) -> None:
        """Import devices, ports or links from a CSV file: every row, or none."""
        text = file.read_text(encoding="utf-8-sig")
        try:
            with platform() as opened, opened.database.unit_of_work() as session:
                report = import_csv(session, kind=kind.value, text=text, now=opened.clock.now())
        except ImportFailed as exc:
            console.print(f"[red]error:[/red] nothing imported from {file}")
            for problem in exc.problems:
                console.print(f"  {problem}", highlight=False)
            raise typer.Exit(code=2) from None
        except DomainError as exc:
            console.print(f"[red]error:[/red] {exc.message}")
            raise typer.Exit(code=2) from None
        console.print(f"imported {report.created} {kind.value} from {file}")

    return app
