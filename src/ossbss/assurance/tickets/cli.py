"""``ossbss assurance maintenance list|add|remove`` and ``ossbss assurance tickets due|sweep``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.table import Table

from ossbss.assurance import maintenance
from ossbss.assurance.tickets.domain import parse_duration
from ossbss.assurance.tickets.listing import tickets_near_breach
from ossbss.assurance.tickets.sweep import sweep_sla
from ossbss.assurance.tickets.wiring import current_policy
from ossbss.kernel import Clock, Database, DomainError

console = Console()


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...


Opener = Callable[[], AbstractContextManager[PlatformLike]]


def _fail(exc: DomainError) -> None:
    console.print(f"[red]{exc.reason}[/red]: {exc.message}", highlight=False)
    raise typer.Exit(1)


def add_commands(app: typer.Typer, platform: Opener) -> None:
    app.add_typer(_maintenance_app(platform), name="maintenance")
    app.add_typer(_tickets_app(platform), name="tickets")


def _maintenance_app(platform: Opener) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help="Maintenance windows: no tickets inside them.")

    @app.command("list")
    def list_windows() -> None:
        """Every window, by start time."""
        with platform() as opened, opened.database.unit_of_work(write=False) as session:
            _, windows = maintenance.list_windows(session, limit=1000)
        table = Table("name", "from", "to", "resources")
        table.add_column("id", no_wrap=True)
        for window in windows:
            period = window["validFor"]
            table.add_row(
                window["name"],
                period["startDateTime"],
                period["endDateTime"],
                str(len(window["resources"])),
                window["id"],
            )
        console.print(table)

    @app.command("add")
    def add(
        name: Annotated[str, typer.Argument(help="what the work is")],
        start: Annotated[str, typer.Option(help="ISO 8601 start")],
        end: Annotated[str, typer.Option(help="ISO 8601 end (after the start)")],
        resource: Annotated[list[str], typer.Option(help="an inventory resource id; repeat")],
        description: Annotated[str | None, typer.Option()] = None,
    ) -> None:
        """Plan a window over some resources."""
        payload = {
            "name": name,
            "description": description,
            "resources": [{"id": resource_id} for resource_id in resource],
            "validFor": {"startDateTime": start, "endDateTime": end},
        }
        try:
            with platform() as opened, opened.database.unit_of_work() as session:
                window = maintenance.create_window(
                    session, payload=payload, now=opened.clock.now(), author="cli"
                )
        except DomainError as exc:
            _fail(exc)
        console.print(f"maintenance window {window['id']}", highlight=False)

    @app.command("remove")
    def remove(window_id: Annotated[str, typer.Argument()]) -> None:
        """Cancel a window."""
        try:
            with platform() as opened, opened.database.unit_of_work() as session:
                maintenance.delete_window(session, window_id=window_id)
        except DomainError as exc:
            _fail(exc)
        console.print(f"removed {window_id}", highlight=False)

    return app


def _tickets_app(platform: Opener) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help="Trouble tickets and their SLA clocks.")

    @app.command("due")
    def due(
        within: Annotated[str | None, typer.Option(help="e.g. 30m (default: the policy's)")] = None,
        breached: Annotated[bool, typer.Option(help="also list missed times")] = False,
    ) -> None:
        """Tickets whose respond-by or resolve-by time is near (soonest first)."""
        try:
            span = parse_duration(within, field="within") if within else None
        except DomainError as exc:
            _fail(exc)
        with platform() as opened, opened.database.unit_of_work(write=False) as session:
            found = tickets_near_breach(
                session,
                now=opened.clock.now(),
                within=span or current_policy().near_breach,
                include_breached=breached,
            )
        table = Table("priority", "status", "timer", "due", "left")
        table.add_column("ticket", no_wrap=True)
        for item in found:
            table.add_row(
                item.priority or "",
                item.status,
                item.timer,
                item.due_at.isoformat(),
                _left(item.remaining),
                item.ticket_id,
            )
        console.print(table)

    @app.command("sweep")
    def sweep() -> None:
        """Notify hub subscribers of SLA times missed since the last sweep (cron-able)."""
        with platform() as opened, opened.database.unit_of_work() as session:
            swept = sweep_sla(session, now=opened.clock.now())
        console.print(f"{len(swept)} ticket(s) with a newly missed SLA time", highlight=False)

    return app


def _left(remaining: timedelta) -> str:
    minutes = int(remaining.total_seconds() // 60)
    return f"{minutes} min" if minutes >= 0 else f"{-minutes} min late"
