"""``ossbss assurance traps``: the SNMP trap collector on its own (beside ``serve``), storing
alarms through the alarm pipeline; stops on SIGTERM or Ctrl-C and prints its counters."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Protocol

import typer
from rich.console import Console

from ossbss.assurance.pipeline import AlarmPipeline
from ossbss.assurance.snmp.setup import listener_from_settings
from ossbss.kernel import Clock, Database, Settings

console = Console()


class PlatformLike(Protocol):
    """What the command needs of the platform (the composition root builds it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def alarm_pipeline(self) -> AlarmPipeline: ...


def build_app(
    platform_factory: Callable[[], AbstractContextManager[PlatformLike]],
) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help="Fault management: alarm collectors.")

    @app.command("traps")
    def traps(
        port: Annotated[int | None, typer.Option(help="UDP port (0: any free port)")] = None,
    ) -> None:
        """Collect SNMP traps and informs (v1, v2c, v3) into alarms."""
        with platform_factory() as platform:
            settings = platform.settings
            logging.basicConfig(
                level=settings.log_level,
                format="%(asctime)s %(levelname)s %(name)s %(message)s",
            )
            platform.alarm_pipeline.start()
            listener = listener_from_settings(
                settings,
                sink=platform.alarm_pipeline,
                clock=platform.clock,
                database=platform.database,
                port=port,
            )

            async def run() -> None:
                stopping = asyncio.Event()
                loop = asyncio.get_running_loop()
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(signum, stopping.set)
                await listener.start()
                console.print(f"SNMP traps on udp {listener.host}:{listener.port}", highlight=False)
                try:
                    await stopping.wait()
                finally:
                    await listener.stop()

            try:
                asyncio.run(run())
            finally:
                platform.alarm_pipeline.stop()
                console.print(f"SNMP traps stopped: {listener.status()}", highlight=False)

    return app
