"""``ossbss usage radius-acct``: the collector in a process of its own (and the sink lookup
``ossbss serve`` shares)."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from typing import Annotated, cast

import typer
from rich.console import Console

from ossbss.kernel import Database, Settings, SystemClock
from ossbss.usage.accounting_contract import UsageSink
from ossbss.usage.radius_accounting import RadiusAccountingServer

console = Console()


def resolve_sink(spec: str) -> UsageSink:
    """``"module:function"`` -> the function (``ossbss.usage:ingest`` in production)."""
    module_name, _, attribute = spec.partition(":")
    try:
        return cast(UsageSink, getattr(importlib.import_module(module_name), attribute))
    except (ImportError, AttributeError) as exc:
        raise RuntimeError(f"no usage sink at {spec!r}: {exc}") from exc


def radius_acct(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="UDP port (0: any free port)")] = None,
    secret: Annotated[str | None, typer.Option(help="the NASes' shared secret")] = None,
    sink: Annotated[str | None, typer.Option(help="module:function taking the records")] = None,
) -> None:
    """Collect RADIUS accounting (Start/Interim-Update/Stop) into usage records; stops on
    SIGTERM or Ctrl-C."""
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        usage_sink = resolve_sink(sink or settings.radius_acct_sink)
    except RuntimeError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    database = Database(settings.database_url)
    server = RadiusAccountingServer(
        database=database,
        sink=usage_sink,
        secret=secret if secret is not None else settings.radius_acct_secret,
        clock=SystemClock(),
        host=host or settings.radius_acct_host,
        port=settings.radius_acct_port if port is None else port,
    )

    async def run() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await server.start()
        console.print(f"RADIUS accounting on {server.host}:{server.port}", highlight=False)
        try:
            await stopping.wait()
        finally:
            await server.stop()

    try:
        asyncio.run(run())
    finally:
        database.dispose()
        console.print(f"RADIUS accounting stopped: {server.status()}", highlight=False)
