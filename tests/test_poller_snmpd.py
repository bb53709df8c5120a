"""The poller against the REAL net-snmp agent (snmpd on 127.0.0.1, a free port), checked
against ``snmpget -On -v2c`` run in the same test; unreachable agents and wrong communities
are counted failures; targets come from the inventory."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ossbss import inventory
from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock
from ossbss.lab.peers import free_port, stop_pid
from ossbss.performance import IN_BPS, OPER_STATUS, OUT_BPS, REACHABLE, Sample
from ossbss.performance.poller import (
    DeviceTarget,
    Poller,
    PortBinding,
    SnmpClient,
    SnmpTimeout,
    read_device,
    targets_from,
)
from ossbss.performance.poller.ifmib import IF_DESCR, IF_HIGH_SPEED, IF_OPER_STATUS

ENV = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
CLOCK = FixedClock(datetime(2026, 1, 15, 9, 30, tzinfo=UTC))
RES = "/tmf-api/resourceInventoryManagement/v4/resource"


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real snmpd answering v2c "public" on 127.0.0.1:<port> (oss-peers.md section 3.2)."""
    workdir = tmp_path_factory.mktemp("snmpd")
    port = free_port()
    conf = workdir / "snmpd.conf"
    conf.write_text(
        f"agentaddress udp:127.0.0.1:{port}\nrocommunity public 127.0.0.1\nsysLocation lab-rack-1\n"
    )
    log = workdir / "snmpd.log"
    process = subprocess.Popen(
        ["snmpd", "-f", "-Lf", str(log), "-C", "-c", str(conf), "-I", "-smux",
         "-p", str(workdir / "snmpd.pid")],
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if snmpget(port, "1.3.6.1.2.1.1.3.0", check=False):
                break
            if process.poll() is not None:
                pytest.fail(f"snmpd exited: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        else:
            pytest.fail("snmpd did not answer")
        yield port
    finally:
        stop_pid(process.pid, process=process)


def snmpget(port: int, *oids: str, check: bool = True) -> str:
    result = subprocess.run(
        ["snmpget", "-On", "-v2c", "-c", "public", "-r0", "-t1", f"127.0.0.1:{port}", *oids],
        capture_output=True, text=True, env=ENV, timeout=10,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout if result.returncode == 0 else ""


def if_indexes(port: int) -> dict[int, str]:
    """ifIndex -> ifDescr, walked with the real snmpwalk."""
    out = subprocess.run(
        ["snmpwalk", "-On", "-v2c", "-c", "public", f"127.0.0.1:{port}", "1.3.6.1.2.1.2.2.1.2"],
        capture_output=True, text=True, env=ENV, timeout=10, check=True,
    ).stdout  # fmt: skip
    return {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r"\.1\.3\.6\.1\.2\.1\.2\.2\.1\.2\.(\d+) = STRING: (.*)", out)
    }


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def with_client(action: Any, *, timeout: float = 1.0, retries: int = 0) -> Any:
    client = await SnmpClient(timeout=timeout, retries=retries).open()
    try:
        return await action(client)
    finally:
        client.close()


def test_get_agrees_with_snmpget(snmpd: int) -> None:
    interfaces = if_indexes(snmpd)
    lo = next(index for index, name in interfaces.items() if name.strip('"') == "lo")
    oids = [(*IF_DESCR, lo), (*IF_HIGH_SPEED, lo), (*IF_OPER_STATUS, lo)]
    varbinds = run(with_client(lambda c: c.get(("127.0.0.1", snmpd), b"public", oids)))
    text = snmpget(snmpd, *(".".join(map(str, oid)) for oid in oids))
    assert varbinds[0].value == b"lo"
    assert 'STRING: "lo"' in text
    high_speed = re.search(r"31\.1\.1\.1\.15\.\d+ = Gauge32: (\d+)", text)
    assert high_speed
    assert varbinds[1].value == int(high_speed.group(1))
    oper = re.search(r"2\.2\.1\.8\.\d+ = INTEGER: (\d+)", text)
    assert oper
    assert varbinds[2].value == int(oper.group(1)) == 1


def test_two_polls_of_snmpd_give_monotonic_counters_and_rates(snmpd: int) -> None:
    interfaces = if_indexes(snmpd)
    target = DeviceTarget(
        device_id="lab",
        name="snmpd",
        address=("127.0.0.1", snmpd),
        community=b"public",
        bindings={index: PortBinding(f"port-{index}", None) for index in interfaces},
    )
    samples: list[Sample] = []

    async def two_polls(client: SnmpClient) -> tuple[Any, Any]:
        first, _ = await read_device(client, target, max_repetitions=3)  # several GETBULKs
        poller = Poller(
            client=client, targets=lambda: [target], sink=samples.extend, clock=CLOCK,
            interval=10,
        )  # fmt: skip
        await poller.poll_once()
        # Traffic on lo between the polls (snmpd caches its counters a few seconds, so the
        # rate may still be 0: what matters is monotonic counters and no negative rate).
        await asyncio.to_thread(snmpget, snmpd, "1.3.6.1.2.1.1.1.0")
        await asyncio.sleep(0.2)
        await poller.poll_once()
        second, _ = await read_device(client, target)
        return first, second

    first, second = run(with_client(two_polls))
    assert set(first.ports) == set(interfaces) == set(second.ports)
    for index in interfaces:
        assert second.ports[index].in_octets >= first.ports[index].in_octets
        assert second.ports[index].out_octets >= first.ports[index].out_octets
    assert second.uptime_ticks > first.uptime_ticks
    rates = [s for s in samples if s.metric in (IN_BPS, OUT_BPS)]
    assert len(rates) == 2 * len(interfaces)
    assert all(s.value >= 0 for s in rates)
    lo = next(index for index, name in interfaces.items() if name.strip('"') == "lo")
    status = {s.resource_id: s.value for s in samples if s.metric == OPER_STATUS}
    assert status[f"port-{lo}"] == 1.0


def failing_poll(target: DeviceTarget) -> Any:
    async def poll(client: SnmpClient) -> Any:
        poller = Poller(
            client=client, targets=lambda: [target], sink=lambda s: None, clock=CLOCK,
            interval=5,
        )  # fmt: skip
        report = await poller.poll_once()
        return report, poller.status(), client.counters

    return run(with_client(poll, timeout=0.3, retries=1))


def test_wrong_community_gets_no_answer_and_is_a_counted_failure(snmpd: int) -> None:
    target = DeviceTarget("d", "snmpd", ("127.0.0.1", snmpd), b"private", {1: PortBinding("p", 0)})
    report, status, counters = failing_poll(target)
    assert (report.polled, report.failed) == (0, 1)
    device = status.devices[0]
    assert (device.failures, device.consecutive_failures, device.reachable) == (1, 1, False)
    assert "no answer" in (device.last_error or "")
    assert counters.retransmissions == 1
    assert counters.timeouts == 1
    assert status.unreachable == (device,)


def test_nothing_listening_times_out_after_the_retries() -> None:
    silent = free_port()
    started = time.monotonic()
    with pytest.raises(SnmpTimeout):
        run(
            with_client(
                lambda c: c.get(("127.0.0.1", silent), b"public", [(1, 3, 6, 1, 2, 1, 1, 3, 0)]),
                timeout=0.2,
                retries=2,
            )
        )
    assert time.monotonic() - started >= 0.6  # three tries of 0.2 s
    target = DeviceTarget("d", "ghost", ("127.0.0.1", silent), b"public", {})
    report, status, _ = failing_poll(target)
    assert report.failed == 1
    assert status.devices[0].consecutive_failures == 1


def chars(**values: Any) -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for name, value in values.items()]


def add_device(client: TestClient, name: str, ports: Sequence[int], **traits: Any) -> str:
    response = client.post(
        RES,
        json={
            "@type": "Device",
            "name": name,
            "resourceCharacteristic": chars(vendor="net-snmp", model="snmpd", **traits),
        },
    )
    assert response.status_code == 201, response.text
    device_id = str(response.json()["id"])
    for index in ports:
        response = client.post(
            RES,
            json={
                "@type": "Port",
                "name": f"if{index}",
                "resourceCharacteristic": chars(name=f"if{index}", ifIndex=index, speedMbps=1000),
                "resourceRelationship": [
                    {"relationshipType": "isContainedIn", "resource": {"id": device_id}}
                ],
            },
        )
        assert response.status_code == 201, response.text
    return device_id


def test_targets_from_the_inventory_poll_snmpd(
    snmpd: int, client: TestClient, platform: Platform
) -> None:
    lab = add_device(client, "lab-snmpd", [1], managementAddress="127.0.0.1", snmpPort=snmpd)
    add_device(client, "v3-only", [1], managementAddress="127.0.0.2", snmpVersion="3")
    add_device(client, "defaults", [], managementAddress="192.0.2.7:830")
    with platform.database.unit_of_work() as session:
        found = targets_from(inventory.managed_devices(session))
    by_name = {target.name: target for target in found.targets}
    assert set(by_name) == {"lab-snmpd", "defaults"}
    assert "v2c only" in next(iter(found.skipped.values()))
    defaults = by_name["defaults"]
    assert (defaults.address, defaults.community, defaults.bindings) == (
        ("192.0.2.7", 161),
        b"public",
        {},
    )
    samples: list[Sample] = []

    async def poll(snmp: SnmpClient) -> Any:
        poller = Poller(
            client=snmp, targets=lambda: [by_name["lab-snmpd"]], sink=samples.extend,
            clock=platform.clock, interval=5,
        )  # fmt: skip
        return await poller.poll_once()

    report = run(with_client(poll))
    assert report.polled == 1
    port_id = by_name["lab-snmpd"].bindings[1].port_id
    device_id = by_name["lab-snmpd"].device_id
    assert [(s.resource_id, s.metric, s.value) for s in samples] == [
        (port_id, OPER_STATUS, 1.0),
        (device_id, REACHABLE, 1.0),
    ]
    assert lab
    assert samples[0].at == platform.clock.now()
