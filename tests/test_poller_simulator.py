"""The SNMP agent simulator answering the real net-snmp tools, and the poller against it:
Counter32/Counter64 wraps, an agent restart, a port going down, overruns, the poller thread."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from ossbss import cli, inventory
from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock
from ossbss.lab.peers import free_port
from ossbss.performance import (
    IN_BPS,
    IN_UTILISATION,
    OPER_STATUS,
    OUT_BPS,
    OUT_UTILISATION,
    REACHABLE,
    Sample,
)
from ossbss.performance.poller import (
    DeviceTarget,
    Poller,
    PollerThread,
    PortBinding,
    SnmpClient,
    derive,
    inventory_targets,
    read_device,
)
from ossbss.performance.simulator import (
    SimulatedAgent,
    SimulatedPort,
    SimulatorThread,
    default_ports,
)

ENV = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
RES = "/tmf-api/resourceInventoryManagement/v4/resource"
CLOCK = FixedClock(datetime(2026, 1, 15, 9, 30, tzinfo=UTC))


@pytest.fixture
def agents() -> Iterator[tuple[list[SimulatedAgent], list[tuple[str, int]]]]:
    agents = [
        SimulatedAgent("edge-1", default_ports(12, seed="edge-1")),
        SimulatedAgent(
            "core-1",
            [SimulatedPort(1, "hu-0/0/0", speed_mbps=40_000, base_load=0.9, amplitude=0.0)],
            counter64_offset=2**64 - 3_000_000_000,  # Counter64 wraps within a second
        ),
    ]
    simulator = SimulatorThread(agents).start()
    try:
        yield agents, simulator.addresses
    finally:
        simulator.stop()


def chars(**values: Any) -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for name, value in values.items()]


def net_snmp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*args[:1], "-On", "-v2c", "-r0", "-t1", *args[1:]],
        capture_output=True, text=True, env=ENV, timeout=15,
    )  # fmt: skip


def test_the_real_snmpbulkwalk_and_snmpwalk_read_the_simulated_if_mib(agents: Any) -> None:
    (edge, _), ((host, port), _) = agents
    bulk = net_snmp("snmpbulkwalk", "-c", "public", f"{host}:{port}", "1.3.6.1.2.1.31.1.1.1")
    assert bulk.returncode == 0, bulk.stderr
    names = re.findall(r"31\.1\.1\.1\.1\.(\d+) = STRING: \"([^\"]+)\"", bulk.stdout)
    assert names == [(str(i), f"ge-0/0/{i - 1}") for i in range(1, 13)]
    assert len(re.findall(r"31\.1\.1\.1\.6\.\d+ = Counter64: \d+", bulk.stdout)) == 12
    assert re.findall(r"31\.1\.1\.1\.15\.\d+ = Gauge32: (\d+)", bulk.stdout) == ["1000"] * 12
    walk = net_snmp("snmpwalk", "-c", "public", f"{host}:{port}", "1.3.6.1.2.1.2.2.1.8")
    assert re.findall(r"2\.2\.1\.8\.\d+ = INTEGER: (\d+)", walk.stdout) == ["1"] * 12
    # A walk to the end of the MIB ends cleanly (endOfMibView, which net-snmp prints).
    everything = net_snmp("snmpbulkwalk", "-c", "public", f"{host}:{port}", "1.3")
    assert everything.returncode == 0, everything.stderr
    lines = everything.stdout.splitlines()
    assert len(lines) == 4 + 12 * 11 + 1
    assert "No more variables left in this MIB View" in lines[-1]
    assert edge.answered >= 3


def test_wrong_community_and_garbage_get_no_answer(agents: Any) -> None:
    (edge, _), ((host, port), _) = agents
    refused = net_snmp("snmpget", "-c", "private", f"{host}:{port}", "1.3.6.1.2.1.1.3.0")
    assert refused.returncode != 0
    assert "Timeout" in refused.stderr
    assert edge.wrong_community == 1
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"\x30\x03garbage", (host, port))
    deadline = time.monotonic() + 5
    while edge.malformed == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert edge.malformed == 1


def poller_for(client: SnmpClient, targets: list[DeviceTarget], samples: list[Sample]) -> Poller:
    return Poller(client=client, targets=lambda: targets, sink=samples.extend, clock=CLOCK)


def edge_target(address: tuple[str, int], ports: int = 12) -> DeviceTarget:
    return DeviceTarget(
        "edge-1",
        "edge-1",
        address,
        b"public",
        {i: PortBinding(f"edge-1/{i}", None) for i in range(1, ports + 1)},
    )


def test_a_port_going_down_and_an_agent_restart(agents: Any) -> None:
    (edge, _), (address, _) = agents
    samples: list[Sample] = []

    async def scenario() -> Any:
        client = await SnmpClient(timeout=1, retries=1).open()
        poller = poller_for(client, [edge_target(address)], samples)
        await poller.poll_once()
        await asyncio.sleep(0.05)
        edge.set_oper_status(3, up=False)
        await poller.poll_once()
        samples.clear()
        await asyncio.sleep(0.05)
        await poller.poll_once()  # port 3 is down: no traffic
        down = list(samples)
        edge.restart()
        samples.clear()
        await poller.poll_once()
        after_restart = list(samples)
        client.close()
        return down, after_restart, poller.status()

    down, after_restart, status = asyncio.run(scenario())
    oper = {s.resource_id: s.value for s in down if s.metric == OPER_STATUS}
    assert oper["edge-1/3"] == 2.0
    assert oper["edge-1/4"] == 1.0
    rates = {s.resource_id: s.value for s in down if s.metric == IN_BPS}
    assert rates["edge-1/3"] == 0.0
    assert rates["edge-1/4"] > 0
    # the interval is discarded: only oper status (and that the device answered)
    assert {s.metric for s in after_restart} == {OPER_STATUS, REACHABLE}
    assert status.devices[0].discarded_intervals == 1
    assert status.polls == 4
    assert status.failures == 0


def test_counter32_and_counter64_wraps_give_the_line_rate(agents: Any) -> None:
    """A 40 Gbit/s port at 90 %: its Counter32 wraps about every second and its Counter64
    starts 3e9 below 2^64; rates stay at ~36 Gbit/s across the wraps."""
    (_, core), (_, address) = agents
    bindings = {1: PortBinding("core-1/1", None)}
    wide = DeviceTarget("core-1", "core-1", address, b"public", bindings, counter_bits=64)
    narrow = DeviceTarget("core-1", "core-1", address, b"public", bindings, counter_bits=32)

    async def polls() -> Any:
        client = await SnmpClient(timeout=1, retries=1).open()
        readings: dict[int, list[Any]] = {64: [], 32: []}
        for _ in range(6):
            for target in (wide, narrow):
                reading, _ = await read_device(client, target)
                readings[target.counter_bits].append(reading)
            await asyncio.sleep(0.25)
        client.close()
        return readings

    readings = asyncio.run(polls())
    for bits, series in readings.items():
        counters = [r.ports[1].in_octets for r in series]
        assert any(b < a for a, b in itertools.pairwise(counters)), (bits, counters)
        for before, after in itertools.pairwise(series):
            derivation = derive(before, after, bindings=bindings, at=CLOCK.now())
            assert derivation.discarded is None
            assert derivation.discontinuities == 0
            rate = next(s.value for s in derivation.samples if s.metric == IN_BPS)
            assert 30e9 < rate < 42e9, (bits, rate)
            util = next(s.value for s in derivation.samples if s.metric == IN_UTILISATION)
            assert 75 < util <= 100
    assert core.answered >= 12


def test_a_device_slower_than_the_interval_is_an_overrun() -> None:
    silent = free_port()  # nothing answers: each poll lasts the full timeout
    target = DeviceTarget("slow", "slow", ("127.0.0.1", silent), b"public", {})

    async def cycles() -> Any:
        client = await SnmpClient(timeout=0.5, retries=0).open()
        poller = Poller(
            client=client, targets=lambda: [target], sink=lambda s: None, clock=CLOCK,
            interval=0.1,
        )  # fmt: skip
        first = await poller.poll_once()
        second = await poller.poll_once()  # the first poll is still waiting: not started twice
        await asyncio.sleep(0.5)
        client.close()
        return first, second, poller.status()

    first, second, status = asyncio.run(cycles())
    assert first.overruns == 1
    assert second.overruns == 1
    assert status.overruns == 2
    assert status.devices[0].overruns == 1


def test_the_poller_thread_polls_every_interval_until_stopped(agents: Any) -> None:
    _, (address, _) = agents
    samples: list[Sample] = []
    stored = threading.Event()

    def sink(batch: Any) -> None:
        samples.extend(batch)
        if any(s.metric == IN_BPS for s in samples):
            stored.set()

    thread = PollerThread(
        lambda client: Poller(
            client=client, targets=lambda: [edge_target(address)], sink=sink, clock=CLOCK,
            interval=0.1, concurrency=100,
        ),
        timeout=1.0,
    ).start()  # fmt: skip
    try:
        assert stored.wait(10)
        status = thread.status()
        assert status is not None
        assert status.polls >= 2
        assert status.failures == 0
    finally:
        thread.stop()
    assert {s.resource_id for s in samples if s.metric == IN_BPS} == {
        f"edge-1/{i}" for i in range(1, 13)
    }


def test_the_demo_path_simulates_the_inventory_devices_where_it_says(
    client: TestClient, platform: Platform
) -> None:
    """Devices on their own loopback address and snmpPort (as the demo network has them):
    the simulator listens exactly there, and the poller reads the inventory unchanged."""
    snmp_port = free_port()
    response = client.post(
        RES,
        json={
            "@type": "Device",
            "name": "core-test-1",
            "resourceCharacteristic": chars(
                vendor="Juniper", model="MX204", managementAddress="127.0.0.2",
                snmpPort=snmp_port, snmpCommunity="demo",
            ),
        },
    )  # fmt: skip
    assert response.status_code == 201, response.text
    device_id = response.json()["id"]
    port_ids = []
    for if_index in (100, 101):
        response = client.post(
            RES,
            json={
                "@type": "Port",
                "name": f"xe-0/0/{if_index}",
                "resourceCharacteristic": chars(
                    name=f"xe-0/0/{if_index}", ifIndex=if_index, speedMbps=10_000
                ),
                "resourceRelationship": [
                    {"relationshipType": "isContainedIn", "resource": {"id": device_id}}
                ],
            },
        )
        assert response.status_code == 201, response.text
        port_ids.append(response.json()["id"])
    with platform.database.unit_of_work() as session:
        devices = inventory.managed_devices(session)
    simulator, addresses = SimulatorThread.for_devices(devices)
    samples: list[Sample] = []
    try:
        assert addresses == {device_id: ("127.0.0.2", snmp_port)}
        simulator.agents[0].set_oper_status(101, up=False)

        async def two_polls() -> Any:
            snmp = await SnmpClient(timeout=1, retries=1).open()
            poller = Poller(
                client=snmp, targets=inventory_targets(platform.database),
                sink=samples.extend, clock=platform.clock,
            )  # fmt: skip
            await poller.poll_once()
            await asyncio.sleep(0.1)
            await poller.poll_once()
            snmp.close()
            return poller.status()

        status = asyncio.run(two_polls())
    finally:
        simulator.stop()
    assert status.failures == 0
    assert status.polls == 2
    oper = {s.resource_id: s.value for s in samples if s.metric == OPER_STATUS}
    assert oper == {port_ids[0]: 1.0, port_ids[1]: 2.0}
    rates = {s.resource_id: s.value for s in samples if s.metric == IN_BPS}
    assert rates[port_ids[0]] > 0
    assert rates[port_ids[1]] == 0


def test_the_cli_polls_the_inventory_once_and_prints_a_table(
    client: TestClient, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = SimulatedAgent("cli-edge", default_ports(2, seed="cli"), community=b"cli")
    simulator = SimulatorThread([agent]).start()
    try:
        host, snmp_port = simulator.addresses[0]
        response = client.post(
            RES,
            json={
                "@type": "Device",
                "name": "cli-edge-1",
                "resourceCharacteristic": chars(
                    vendor="v", model="m", managementAddress=host, snmpPort=snmp_port,
                    snmpCommunity="cli",
                ),
            },
        )  # fmt: skip
        device_id = response.json()["id"]
        for if_index in (1, 2):
            client.post(
                RES,
                json={
                    "@type": "Port",
                    "name": f"ge-0/0/{if_index - 1}",
                    "resourceCharacteristic": chars(
                        name=f"ge-0/0/{if_index - 1}", ifIndex=if_index
                    ),
                    "resourceRelationship": [
                        {"relationshipType": "isContainedIn", "resource": {"id": device_id}}
                    ],
                },
            ).raise_for_status()
        agent.set_oper_status(2, up=False)
        monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.settings.database_url)
        monkeypatch.setenv("COLUMNS", "160")
        result = CliRunner().invoke(
            cli.app, ["performance", "poll", "--once", "--gap", "0.2", "--store"]
        )
    finally:
        simulator.stop()
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "cli-edge-1" in line]
    assert len(rows) == 2
    assert "ge-0/0/0" in rows[0]
    assert " up " in rows[0]
    assert "ge-0/0/1" in rows[1]
    assert " down " in rows[1]
    assert "2 polls, 0 failures, 0 overruns" in result.output
    # --store recorded them in the performance store: 2 + 2 oper status, 2 x 4 rates.
    with platform.database.unit_of_work() as session:
        stored = session.execute(
            text("SELECT metric, count(*) FROM performance_sample GROUP BY metric")
        ).all()
    assert dict(stored) == {
        OPER_STATUS: 4,
        IN_BPS: 2,
        OUT_BPS: 2,
        IN_UTILISATION: 2,
        OUT_UTILISATION: 2,
        REACHABLE: 2,  # the device answered both polls
    }


def test_a_failing_sink_is_counted_and_polling_goes_on_and_removed_devices_stop(
    agents: Any,
) -> None:
    _, (edge_address, core_address) = agents
    targets = [
        edge_target(edge_address),
        DeviceTarget("core-1", "core-1", core_address, b"public", {1: PortBinding("c/1", None)}),
    ]
    calls: list[int] = []

    def broken_sink(samples: Any) -> None:
        calls.append(len(samples))
        raise RuntimeError("database down")

    async def cycles() -> Any:
        client = await SnmpClient(timeout=1, retries=0).open()
        poller = Poller(client=client, targets=lambda: list(targets), sink=broken_sink, clock=CLOCK)
        await poller.poll_once()
        targets.pop()  # core-1 leaves the inventory
        report = await poller.poll_once()
        client.close()
        return report, poller.status()

    report, status = asyncio.run(cycles())
    # oper status of 13 ports and 2 devices reachable; then 12 ports x 5 metrics + 1 device
    assert calls == [13 + 2, 12 * 5 + 1]
    assert status.sink_failures == 2
    assert status.samples == 0
    assert (report.devices, report.polled) == (1, 1)
    assert [device.device_id for device in status.devices] == ["edge-1"]
