"""``ossbss config``: device configuration backups, versions, diffs and drift (NETCONF).

Each command is an edge: it opens the database from ``OSSBSS_DATABASE_URL`` and owns its
transaction; device credentials come from ``OSSBSS_NETCONF_USERNAME`` / ``..._KEY_FILE``.
``configs`` (whose tables have no migration yet) is imported by the commands, not by this
module, so ``ossbss`` itself does not register those tables on the metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ossbss.kernel import Database, DomainError, Settings, SystemClock
from ossbss.provisioning.drivers import DriverError
from ossbss.provisioning.drivers.netconf import NetconfDriver

config_app = typer.Typer(
    no_args_is_help=True, help="Device configurations: backups, versions, diffs, drift."
)
console = Console()


@contextmanager
def _database() -> Iterator[Database]:
    database = Database(Settings().database_url)
    try:
        yield database
    finally:
        database.dispose()


def _running(device_address: str) -> str:
    driver = NetconfDriver.from_settings()
    try:
        return driver.running(device_address)
    except (DriverError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    finally:
        driver.close()


def _fail(exc: DomainError) -> None:
    console.print(f"[red]error:[/red] {exc.message}")
    raise typer.Exit(code=2)


@config_app.command("backup")
def backup(
    device_address: Annotated[str, typer.Argument(help="host:port of the NETCONF device")],
    reason: Annotated[str, typer.Option(help="why this backup was taken")] = "manual",
) -> None:
    """Fetch the device's running configuration and store it as a new version if it changed."""
    from ossbss.provisioning import configs

    running = _running(device_address)
    with _database() as database, database.unit_of_work() as session:
        version = configs.backup(
            session,
            device_id=device_address,
            content=running,
            reason=reason,
            now=SystemClock().now(),
        )
    console.print(f"{device_address}: version {version}")


@config_app.command("versions")
def versions(device: Annotated[str, typer.Argument(help="device id or host:port")]) -> None:
    """List the stored versions of a device's configuration."""
    from ossbss.provisioning import configs

    with _database() as database, database.unit_of_work(write=False) as session:
        rows = configs.versions(session, device_id=device)
    table = Table("version", "taken at (UTC)", "lines", "sha256", "reason")
    for row in rows:
        table.add_row(
            str(row.version),
            row.taken_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(row.lines),
            row.sha256[:12],
            row.reason,
        )
    console.print(table if rows else f"no backups of {device}")


@config_app.command("diff")
def diff(
    device: Annotated[str, typer.Argument(help="device id or host:port")],
    from_version: Annotated[int | None, typer.Option("--from", help="older version")] = None,
    to_version: Annotated[int | None, typer.Option("--to", help="newer version")] = None,
) -> None:
    """Show a unified diff between two versions (default: the latest two)."""
    from ossbss.provisioning import configs

    try:
        with _database() as database, database.unit_of_work(write=False) as session:
            text = configs.diff(
                session, device_id=device, from_version=from_version, to_version=to_version
            )
    except DomainError as exc:
        _fail(exc)
    typer.echo(text or "no difference", nl=not text)


@config_app.command("drift")
def drift(device: Annotated[str, typer.Argument(help="host:port of the NETCONF device")]) -> None:
    """Compare the device's running configuration with what we last pushed (exit 1 on drift)."""
    from ossbss.provisioning import configs

    running = _running(device)
    try:
        with _database() as database, database.unit_of_work(write=False) as session:
            text = configs.drift(session, device_id=device, running=running)
    except DomainError as exc:
        _fail(exc)
    if text is None:
        typer.echo(f"{device}: running matches the intended configuration")
        return
    typer.echo(text, nl=False)
    raise typer.Exit(code=1)
