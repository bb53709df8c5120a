"""Real snmptrap / snmpinform -> the collector built from settings -> the real alarm pipeline ->
alarm rows (de-duplicated by reduction key, cleared by linkUp, unknown sources unresolved)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alarm_helpers import alarms
from ossbss.assurance import AlarmPipeline, TrapCollectorThread, snmp_trap_listener
from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock, Settings
from snmp_helpers import (
    LINK_DOWN,
    LINK_UP,
    SENDER_ENGINE,
    link_varbinds,
    make_inventory,
    run,
    v3_security,
    wait_for,
)

USERS = f"""
[[user]]
name = "nmsuser"
auth_protocol = "SHA"
auth_key = "authpass123"
priv_protocol = "AES"
priv_key = "privpass123"
engine_ids = ["{SENDER_ENGINE}"]
"""


@pytest.fixture
def pipeline(platform: Platform, clock: FixedClock) -> Iterator[AlarmPipeline]:
    pipeline = AlarmPipeline(platform.database, clock, batch_size=500)
    pipeline.start()
    yield pipeline
    pipeline.stop()


@pytest.fixture
def collector(
    platform: Platform, clock: FixedClock, pipeline: AlarmPipeline, tmp_path: Path
) -> Iterator[TrapCollectorThread]:
    users = tmp_path / "snmp-users.toml"
    users.write_text(USERS)
    settings = Settings(
        snmp_trap_communities="public, lab",
        snmp_trap_v3_users=users,
        snmp_trap_engine_id="0x80001f8880010203",
        snmp_trap_directory_refresh_seconds=0,
    )
    listener = snmp_trap_listener(
        settings, sink=pipeline, clock=clock, database=platform.database, port=0
    )
    thread = TrapCollectorThread(listener).start()
    yield thread
    thread.stop()


def test_traps_become_alarms_deduplicated_and_cleared(
    client: TestClient,
    platform: Platform,
    collector: TrapCollectorThread,
    pipeline: AlarmPipeline,
    tmp_path: Path,
) -> None:
    _, port_id = make_inventory(client)
    collector.reload_directory()
    target = f"127.0.0.1:{collector.listener.port}"
    down = ["snmptrap", "-v2c", "-c", "public", target, "", LINK_DOWN, *link_varbinds(7, "xe7")]
    for _ in range(3):
        assert run(down, tmp_path).returncode == 0
    v1_unknown = ["1.3.6.1.4.1.8072", "203.0.113.5", "2", "0", "", *link_varbinds(1)]
    assert run(["snmptrap", "-v1", "-c", "lab", target, *v1_unknown], tmp_path).returncode == 0
    v3 = ["snmptrap", "-v3", "-e", SENDER_ENGINE, *v3_security(), target, "", LINK_DOWN]
    assert run([*v3, *link_varbinds(8)], tmp_path).returncode == 0
    assert _wait_stored(collector, pipeline, 5)
    rows = {row.reduction_key: row for row in alarms(platform)}
    link = rows["snmp:link:127.0.0.1:7"]
    assert (link.count, link.state, link.alarmed_object_id) == (3, "raised", port_id)
    assert (link.alarmed_object_type, link.resolved, link.source) == ("Port", True, "snmp")
    unknown = rows["snmp:link:203.0.113.5:1"]
    assert (unknown.alarmed_object_id, unknown.resolved) == (None, False)
    assert unknown.details is not None
    assert unknown.details["source"] == "203.0.113.5"
    assert rows["snmp:link:127.0.0.1:8"].state == "raised"
    # linkUp by an acknowledged v3 INFORM clears the port's alarm
    inform = ["snmpinform", "-v3", *v3_security(), "-t", "5", "-r", "0", target, "", LINK_UP]
    answered = run([*inform, *link_varbinds(7)], tmp_path)
    assert answered.returncode == 0, answered.stderr
    assert _wait_stored(collector, pipeline, 6)
    cleared = alarms(platform, "snmp:link:127.0.0.1:7")
    assert [(a.state, a.count) for a in cleared] == [("cleared", 3)]
    assert collector.listener.status().refused == {}


def _wait_stored(collector: TrapCollectorThread, pipeline: AlarmPipeline, count: int) -> bool:
    wait_for(lambda: collector.listener.status().accepted == count)
    return pipeline.flush(timeout=10)
