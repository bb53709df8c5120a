"""The live demo network (``demo.LiveNetwork``) against the real collectors: the SNMP trap and
syslog collectors on free ports, the app served by uvicorn for the Alertmanager-style alert, the
alarm pipeline. Its faults become alarms on the right objects (a linkDown trap resolved by the
device's own loopback source address, a BGP syslog line on the core, a DeviceDown root with the
OLT's port alarms under it) and clear later; its simulated agents answer the real ``snmpget``;
``stop`` leaves no thread and no socket behind."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alarm_rows import wait_alarms
from conftest import ADMIN_KEY
from ossbss import bootstrap, demo
from ossbss.assurance import TrapCollectorThread, snmp_trap_listener
from ossbss.assurance.models import Alarm
from ossbss.assurance.syslog import SyslogCollector, SyslogMapping, SyslogThread, directory_loader
from ossbss.demo import orders
from ossbss.kernel import FixedClock, Settings
from ossbss.lab.peers import free_port
from test_alertmanager import ServedApp

pytestmark = pytest.mark.skipif(shutil.which("snmpget") is None, reason="needs net-snmp snmpget")
INVENTORY = "/tmf-api/resourceInventoryManagement/v4/resource"
ALARMS = "/tmf-api/alarmManagement/v4/alarm"
# The OLT moves off 127.0.0.1 so that only a trap sent from its own address resolves to it.
OLT_ADDRESS = "127.0.0.3"
CORE_ADDRESS = "127.0.0.2"
IF_HIGH_SPEED_UPLINK = "1.3.6.1.2.1.31.1.1.1.15.100"


@dataclass
class Network:
    olt: str
    core: str
    olt_ports: dict[str, int]  # port id -> ifIndex
    core_snmp_port: int
    olt_snmp_port: int


def _set_characteristics(client: TestClient, resource_id: str, **values: Any) -> None:
    resource = client.get(f"{INVENTORY}/{resource_id}").json()
    characteristics = [
        {**c, "value": values.get(c["name"], c["value"])}
        for c in resource["resourceCharacteristic"]
    ]
    answer = client.patch(
        f"{INVENTORY}/{resource_id}",
        json={"resourceCharacteristic": characteristics},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
def network(client: TestClient, platform: bootstrap.Platform) -> Network:
    """The demo network, its agents moved to free ports (the demo's own may be in use)."""
    ids = orders.load_network(platform)
    core_port, olt_port = free_port(), free_port()
    _set_characteristics(client, ids["olt-leeds"], managementAddress=OLT_ADDRESS, snmpPort=olt_port)
    _set_characteristics(client, ids["core-leeds"], snmpPort=core_port)
    olt_ports = {ids[f"olt-port-{n}"]: n for n in range(1, 17)}
    return Network(ids["olt-leeds"], ids["core-leeds"], olt_ports, core_port, olt_port)


@pytest.fixture
def collectors(
    platform: bootstrap.Platform, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[demo.Collectors]:
    """The real trap and syslog collectors, the app on a real port, the alarm pipeline; the
    platform's clock follows the real one (the alert's times are real)."""
    monkeypatch.setattr(clock, "now", lambda: datetime.now(UTC))
    platform.alarm_pipeline.start()
    settings = Settings(snmp_trap_communities="public", snmp_trap_directory_refresh_seconds=0)
    traps = TrapCollectorThread(
        snmp_trap_listener(
            settings, sink=platform.alarm_pipeline, clock=clock, database=platform.database, port=0
        )
    ).start()
    syslog = SyslogThread(
        SyslogCollector(
            sink=platform.alarm_pipeline,
            mapping=SyslogMapping.load(),
            directory=directory_loader(platform.database),
            clock=clock,
            tcp_port=None,
            directory_refresh_seconds=0,
        )
    ).start()
    try:
        with ServedApp(platform) as served:
            assert syslog.collector.udp_port
            yield demo.Collectors(
                trap=("127.0.0.1", traps.listener.port),
                syslog=("127.0.0.1", syslog.collector.udp_port),
                api_url=f"http://127.0.0.1:{served.port}",
                api_key=ADMIN_KEY,
            )
    finally:
        syslog.stop()
        traps.stop()
        platform.alarm_pipeline.stop()


def _udp_sockets() -> set[str]:
    """This process's UDP socket inodes."""
    udp = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            udp.add(line.split()[9])
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in udp:
            mine.add(target[8:-1])
    return mine


def _snmpget(
    port: int, oid: str, *, address: str = CORE_ADDRESS
) -> subprocess.CompletedProcess[str]:
    command = ["snmpget", "-On", "-v2c", "-c", "public", "-t", "1", "-r", "1"]
    return subprocess.run(
        [*command, f"{address}:{port}", oid],
        capture_output=True,
        text=True,
        timeout=15,
        env={**os.environ, "MIBS": ""},
    )


def _one(rows: list[Alarm], **fields: Any) -> Alarm | None:
    found = [row for row in rows if all(getattr(row, k) == v for k, v in fields.items())]
    return found[0] if found else None


def test_the_live_network_plays_faults_through_the_collectors(
    client: TestClient,
    platform: bootstrap.Platform,
    network: Network,
    collectors: demo.Collectors,
) -> None:
    threads_before = set(threading.enumerate())
    udp_before = _udp_sockets()
    live = demo.LiveNetwork(
        platform.database, collectors, every_seconds=1.5, first_fault_seconds=0.2, seed=7
    ).start()
    try:
        answer = _snmpget(network.core_snmp_port, IF_HIGH_SPEED_UPLINK)
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.strip() == f".{IF_HIGH_SPEED_UPLINK} = Gauge32: 10000"

        # a port flap: a linkDown trap from the OLT's own address, on the right port
        rows = wait_alarms(platform, lambda rows: _one(rows, source="snmp") is not None)
        link = _one(rows, source="snmp")
        assert link is not None
        assert link.source_address == OLT_ADDRESS
        assert link.resolved
        assert link.alarmed_object_type == "Port"
        assert link.alarmed_object_id in network.olt_ports
        assert f":{network.olt_ports[link.alarmed_object_id]}" in link.reduction_key

        # a BGP neighbour lost: the syslog line is an alarm on the core router
        rows = wait_alarms(platform, lambda rows: _one(rows, source="syslog") is not None)
        bgp = _one(rows, source="syslog")
        assert bgp is not None
        assert (bgp.alarmed_object_type, bgp.alarmed_object_id) == ("Device", network.core)
        assert bgp.probable_cause == "connectionEstablishmentError"

        # the OLT goes dark: the DeviceDown alert is the root, its port alarms under it
        def outage(rows: list[Alarm]) -> bool:
            root = _one(rows, source="alertmanager", is_root_cause=True)
            return root is not None and sum(r.parent_alarm_id == root.id for r in rows) >= 4

        rows = wait_alarms(platform, outage, timeout=20)
        root = _one(rows, source="alertmanager", is_root_cause=True)
        assert root is not None
        assert (root.alarmed_object_type, root.alarmed_object_id) == ("Device", network.olt)
        children = [r for r in rows if r.parent_alarm_id == root.id]
        assert {c.alarmed_object_id for c in children} <= set(network.olt_ports)
        document = client.get(f"{ALARMS}/{root.id}").json()
        assert {ref["id"] for ref in document["correlatedAlarm"]} >= {c.id for c in children}

        # ... and everything clears later
        def cleared(rows: list[Alarm]) -> bool:
            by_id = {row.id: row for row in rows}
            return all(by_id[alarm.id].state == "cleared" for alarm in (link, bgp, root, *children))

        wait_alarms(platform, cleared, timeout=20)
    finally:
        live.stop()

    # stopped: no thread of its own left, its agents' and senders' sockets closed
    assert set(threading.enumerate()) <= threads_before
    deadline = time.monotonic() + 5
    while _udp_sockets() - udp_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _udp_sockets() <= udp_before
    assert _snmpget(network.core_snmp_port, IF_HIGH_SPEED_UPLINK).returncode != 0


def test_an_address_taken_by_a_real_agent_is_left_to_it(
    platform: bootstrap.Platform, network: Network
) -> None:
    """The lab's snmpd may already answer for a device: the other devices get their agents,
    and the script still runs (here with nowhere to send to)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((CORE_ADDRESS, network.core_snmp_port))
        nowhere = demo.Collectors(trap=None, syslog=None, api_url="http://127.0.0.1:9", api_key="")
        started = time.monotonic()
        live = demo.LiveNetwork(platform.database, nowhere, every_seconds=60).start()
        try:
            assert time.monotonic() - started < 5
            olt = _snmpget(network.olt_snmp_port, IF_HIGH_SPEED_UPLINK, address=OLT_ADDRESS)
            assert olt.returncode == 0, olt.stderr
            assert olt.stdout.strip() == f".{IF_HIGH_SPEED_UPLINK} = Gauge32: 10000"
        finally:
            live.stop()
