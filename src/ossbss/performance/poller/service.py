"""Wiring the poller to the platform: targets read from the inventory each cycle, settings,
and the thread beside the API (``ossbss serve``) or a one-off poll (``ossbss performance poll``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ossbss import inventory
from ossbss.kernel import Clock, Database, Settings
from ossbss.performance.poller.client import SnmpClient
from ossbss.performance.poller.ifmib import DeviceTarget
from ossbss.performance.poller.scheduler import Poller
from ossbss.performance.poller.targets import targets_from
from ossbss.performance.poller.thread import PollerThread
from ossbss.performance.samples import SampleSink

Addresses = Mapping[str, tuple[str, int]]


def inventory_targets(
    database: Database, *, addresses: Addresses | None = None
) -> Callable[[], list[DeviceTarget]]:
    """A loader of the current targets (a short read transaction each cycle, so devices and
    ports added to the inventory are polled from the next interval on)."""

    def load() -> list[DeviceTarget]:
        with database.unit_of_work() as session:
            devices = inventory.managed_devices(session)
        return targets_from(devices, addresses=addresses).targets

    return load


def poller_from_settings(
    client: SnmpClient,
    *,
    settings: Settings,
    targets: Callable[[], list[DeviceTarget]],
    sink: SampleSink,
    clock: Clock,
) -> Poller:
    return Poller(
        client=client,
        targets=targets,
        sink=sink,
        clock=clock,
        interval=settings.poller_interval_seconds,
        concurrency=settings.poller_concurrency,
        max_repetitions=settings.poller_max_repetitions,
    )


def start_poller_thread(
    *,
    database: Database,
    clock: Clock,
    settings: Settings,
    sink: SampleSink,
    addresses: Addresses | None = None,
) -> PollerThread:
    """The poller on a thread of its own, polling every device of the inventory (or the
    simulated agents ``addresses`` points devices at)."""
    targets = inventory_targets(database, addresses=addresses)
    return PollerThread(
        lambda client: poller_from_settings(
            client, settings=settings, targets=targets, sink=sink, clock=clock
        ),
        timeout=settings.poller_timeout_seconds,
        retries=settings.poller_retries,
    ).start()
