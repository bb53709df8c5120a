"""End to end with the REAL net-snmp agent: the poller reads snmpd's IF-MIB counters twice, its
sink is the KPI store (performance.recorder), and a threshold on the operational status turns
the agent's answer into a ThresholdCrossed in the outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from ossbss import bootstrap, performance
from ossbss.events.performance import ThresholdCrossed
from ossbss.kernel import FixedClock, OutboxMessage, Period
from ossbss.performance.poller import DeviceTarget, Poller, PortBinding, SnmpClient
from test_poller_snmpd import if_indexes, snmpd  # noqa: F401  (the real agent fixture)

NOW = datetime(2026, 10, 1, 12, tzinfo=UTC)


def test_snmpd_samples_land_in_the_store_and_cross_a_threshold(
    platform: bootstrap.Platform,
    snmpd: int,  # noqa: F811
) -> None:
    interfaces = if_indexes(snmpd)
    target = DeviceTarget(
        device_id="lab",
        name="snmpd",
        address=("127.0.0.1", snmpd),
        community=b"public",
        bindings={index: PortBinding(f"port-{index}", None) for index in interfaces},
    )
    with platform.database.unit_of_work() as session:
        # up is 1: "below 1.5" raises for every port that is up (a test of the path, not a policy)
        performance.create_threshold(
            session,
            values={
                "name": "port up (test)",
                "metric": performance.OPER_STATUS,
                "direction": "below",
                "raiseLevel": 1.5,
                "clearLevel": 1.5,
                "severity": "warning",
            },
            now=NOW,
        )
    clock = FixedClock(NOW)
    sink = performance.recorder(platform.database, clock)

    async def two_polls() -> None:
        client = await SnmpClient(timeout=1.0, retries=1).open()
        try:
            poller = Poller(
                client=client, targets=lambda: [target], sink=sink, clock=clock, interval=10
            )
            await poller.poll_once()
            await asyncio.sleep(0.2)
            await poller.poll_once()
        finally:
            client.close()

    asyncio.run(two_polls())
    lo = next(index for index, name in interfaces.items() if name.strip('"') == "lo")
    day = Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))
    with platform.database.unit_of_work() as session:
        status = performance.series(
            session, resource_id=f"port-{lo}", metric=performance.OPER_STATUS, period=day, step=0
        )
        rates = performance.series(
            session, resource_id=f"port-{lo}", metric=performance.IN_BPS, period=day, step=0
        )
        crossed = list(
            session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.topic == ThresholdCrossed.topic)
            )
        )
    assert [p.average for p in status.points][-1] == 1.0
    assert rates.points
    assert all(p.average >= 0 for p in rates.points)
    assert f"port-{lo}" in {payload["resource_id"] for payload in crossed}
    assert len([p for p in crossed if p["resource_id"] == f"port-{lo}"]) == 1  # once, not per poll


def test_serve_starts_the_poller_into_the_store_only_when_enabled(
    platform: bootstrap.Platform,
) -> None:
    from dataclasses import dataclass

    from ossbss.kernel import Clock, Database, Settings
    from ossbss.performance import cli as performance_cli

    @dataclass
    class Opened:
        database: Database
        clock: Clock
        settings: Settings

    off = Opened(platform.database, platform.clock, platform.settings.model_copy())
    assert performance_cli.poller(off) is None
    settings = platform.settings.model_copy(update={"poller_enabled": True})
    thread = performance_cli.poller(Opened(platform.database, platform.clock, settings))
    assert thread is not None
    thread.stop()
