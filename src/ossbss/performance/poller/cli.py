"""``ossbss performance poll``: poll the inventory's devices now and show a table, or keep
polling in the foreground every interval."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.table import Table

from ossbss import inventory
from ossbss.kernel import Clock, Database, Settings
from ossbss.performance.poller.client import SnmpClient
from ossbss.performance.poller.scheduler import Poller, PollerStatus
from ossbss.performance.poller.service import inventory_targets, poller_from_settings
from ossbss.performance.samples import (
    IN_BPS,
    IN_UTILISATION,
    OPER_STATUS,
    OUT_BPS,
    OUT_UTILISATION,
    Sample,
    SampleSink,
)

console = Console()
OPER = {1: "up", 2: "down", 3: "testing", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}


class PlatformLike(Protocol):
    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def settings(self) -> Settings: ...


def add_commands(
    app: typer.Typer,
    platform: Callable[[], AbstractContextManager[PlatformLike]],
    *,
    store: Callable[[PlatformLike], SampleSink] | None = None,
) -> None:
    """Register ``poll`` on ``app``; ``store`` builds the sink that records samples."""

    @app.command("poll")
    def poll(
        once: Annotated[
            bool, typer.Option("--once", help="poll twice, --gap apart, print a table, stop")
        ] = False,
        gap: Annotated[float, typer.Option(help="seconds between the two polls of --once")] = 2.0,
        save: Annotated[
            bool, typer.Option("--store/--no-store", help="record the samples")
        ] = False,
    ) -> None:
        """Poll the IF-MIB counters of every device of the inventory (SNMP v2c)."""
        with platform() as opened:
            settings = opened.settings
            collected: list[Sample] = []
            recorder = store(opened) if save and store is not None else None

            def sink(samples: Sequence[Sample]) -> None:
                collected.extend(samples)
                if recorder is not None:
                    recorder(samples)

            targets = inventory_targets(opened.database)

            running: list[Poller] = []

            async def run() -> PollerStatus:
                client = await SnmpClient(
                    timeout=settings.poller_timeout_seconds, retries=settings.poller_retries
                ).open()
                try:
                    poller = poller_from_settings(
                        client, settings=settings, targets=targets, sink=sink, clock=opened.clock
                    )
                    running.append(poller)
                    if once:
                        await poller.poll_once()
                        await asyncio.sleep(gap)
                        await poller.poll_once()
                    else:
                        await _forever(poller)
                    return poller.status()
                finally:
                    client.close()

            try:
                status = asyncio.run(run())
            except KeyboardInterrupt:
                if not running:
                    raise
                status = running[0].status()
            with opened.database.unit_of_work() as session:
                devices = inventory.managed_devices(session)
        _print(devices, collected, status)


async def _forever(poller: Poller) -> None:
    console.print(f"polling every {poller.interval:g}s; Ctrl-C stops", highlight=False)
    await poller.run(asyncio.Event())


def _print(
    devices: Sequence[inventory.ManagedDevice], samples: list[Sample], status: PollerStatus
) -> None:
    latest: dict[str, dict[str, float]] = defaultdict(dict)
    for sample in samples:
        latest[sample.resource_id][sample.metric] = sample.value
    table = Table(title="IF-MIB poll")
    for column in ("device", "port", "ifIndex", "oper", "in Mb/s", "out Mb/s", "in %", "out %"):
        table.add_column(column, justify="left" if column in ("device", "port") else "right")
    for device in devices:
        for port in device.ports:
            values = latest.get(port.id)
            if not values:
                continue
            oper = values.get(OPER_STATUS)
            table.add_row(
                device.name,
                port.name,
                str(port.if_index),
                OPER.get(int(oper), str(oper)) if oper is not None else "-",
                _number(values.get(IN_BPS), 1e6),
                _number(values.get(OUT_BPS), 1e6),
                _number(values.get(IN_UTILISATION), 1),
                _number(values.get(OUT_UTILISATION), 1),
            )
    console.print(table)
    for polled in status.devices:
        if polled.consecutive_failures:
            console.print(
                f"[red]{polled.name} ({polled.address}): {polled.last_error}[/red]",
                highlight=False,
            )
    console.print(
        f"{status.polls} polls, {status.failures} failures, {status.overruns} overruns, "
        f"{status.values} values",
        highlight=False,
    )


def _number(value: float | None, scale: float) -> str:
    return "-" if value is None else f"{value / scale:,.1f}"
