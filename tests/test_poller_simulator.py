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

from ossbss.kernel import FixedClock
from ossbss.lab.peers import free_port
from ossbss.performance import IN_BPS, IN_UTILISATION, OPER_STATUS, Sample
from ossbss.performance.poller import (
    DeviceTarget,
    Poller,
    PollerThread,
    PortBinding,
    SnmpClient,
    derive,
    read_device,
)
from ossbss.performance.simulator import (
    SimulatedAgent,
    SimulatedPort,
    SimulatorThread,
    default_ports,
)

ENV = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
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
    assert all(s.metric == OPER_STATUS for s in after_restart)  # the interval is discarded
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
