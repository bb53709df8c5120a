"""The SNMP trap collector against the real net-snmp senders (snmptrap, snmpinform): v1, v2c,
v3 authPriv, INFORMs acknowledged, bad input refused and counted, flood control per source,
objects resolved through an inventory made with the TMF639 API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ossbss.assurance import SnmpTrapListener, TrapCollectorThread, V3User
from ossbss.assurance.objects import ObjectDirectory
from ossbss.bootstrap import Platform
from ossbss.kernel import FixedClock
from snmp_helpers import (
    LINK_DOWN,
    LINK_UP,
    RECEIVER_ENGINE,
    SENDER_ENGINE,
    V3_USER,
    RecordingSink,
    link_varbinds,
    make_inventory,
    run,
    v3_security,
    wait_for,
)

SOURCE_RATE, SOURCE_BURST = 1.0, 40.0  # slow refill: the counts do not depend on timing


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def collector(
    platform: Platform, clock: FixedClock, sink: RecordingSink
) -> Iterator[TrapCollectorThread]:
    def load() -> ObjectDirectory:
        with platform.database.unit_of_work() as session:
            return ObjectDirectory.load(session)

    listener = SnmpTrapListener(
        sink=sink,
        clock=clock,
        communities=("public", "lab"),
        v3_users=[V3User(V3_USER[0], "SHA", V3_USER[1], "AES", V3_USER[2], (SENDER_ENGINE,))],
        engine_id=RECEIVER_ENGINE,
        source_rate=SOURCE_RATE,
        source_burst=SOURCE_BURST,
        directory_loader=load,
        directory_refresh_seconds=0,
    )
    thread = TrapCollectorThread(listener).start()
    yield thread
    thread.stop()


def target(collector: TrapCollectorThread) -> str:
    return f"127.0.0.1:{collector.listener.port}"


def test_v2c_link_down_then_up_on_a_known_port(
    client: TestClient, collector: TrapCollectorThread, sink: RecordingSink, tmp_path: Path
) -> None:
    device_id, port_id = make_inventory(client)
    collector.reload_directory()
    for oid in (LINK_DOWN, LINK_UP):
        sent = run(
            [
                "snmptrap",
                "-v2c",
                "-c",
                "public",
                target(collector),
                "",
                oid,
                *link_varbinds(7, "xe-0/0/7"),
            ],
            tmp_path,
        )
        assert sent.returncode == 0, sent.stderr
    wait_for(lambda: len(sink.signals) == 2)
    down, up = sink.signals
    assert (down.clears, up.clears) == (False, True)
    assert down.reduction_key == up.reduction_key == "snmp:link:127.0.0.1:7"
    assert (down.alarm_type, down.probable_cause) == ("communicationsAlarm", "lossOfSignal")
    assert (down.perceived_severity, up.perceived_severity) == ("major", "cleared")
    assert down.alarmed_object_id == up.alarmed_object_id == port_id
    assert down.alarmed_object_type == "Port"
    assert down.specific_problem == "Link down on ifIndex 7 xe-0/0/7"
    assert down.source == "snmp"
    assert down.source_address == "127.0.0.1"
    assert "unresolved" not in down.details
    # A port the inventory does not know falls back to its device.
    sent = run(
        ["snmptrap", "-v2c", "-c", "lab", target(collector), "", LINK_DOWN, *link_varbinds(99)],
        tmp_path,
    )
    assert sent.returncode == 0, sent.stderr
    wait_for(lambda: len(sink.signals) == 3)
    assert (sink.signals[2].alarmed_object_id, sink.signals[2].alarmed_object_type) == (
        device_id,
        "Device",
    )
    assert collector.listener.status().refused == {}


def test_v1_traps_become_their_v2_form_and_unknown_agents_are_flagged(
    client: TestClient, collector: TrapCollectorThread, sink: RecordingSink, tmp_path: Path
) -> None:
    device_id, _ = make_inventory(client)
    collector.reload_directory()
    # generic-trap 2 (linkDown) from the known agent; enterprise-specific from an unknown one
    known = ["1.3.6.1.4.1.8072", "127.0.0.1", "2", "0", "", *link_varbinds(3)]
    psu = [
        "1.3.6.1.4.1.9.9.13.3",
        "10.9.9.9",
        "6",
        "5",
        "",
        "1.3.6.1.4.1.9.9.13.1.5.1.3.2",
        "i",
        "3",
    ]
    for args in (known, psu):
        sent = run(["snmptrap", "-v1", "-c", "public", target(collector), *args], tmp_path)
        assert sent.returncode == 0, sent.stderr
    wait_for(lambda: len(sink.signals) == 2)
    link, power = sink.signals
    assert link.details["trapOid"] == LINK_DOWN
    assert link.reduction_key == "snmp:link:127.0.0.1:3"
    assert link.alarmed_object_id == device_id  # no port 3: the device
    assert power.details["trapOid"] == "1.3.6.1.4.1.9.9.13.3.0.5"
    assert (power.alarm_type, power.perceived_severity) == ("equipmentAlarm", "critical")
    assert power.alarmed_object_id is None
    assert power.details["unresolved"] == "true"
    assert power.details["source"] == "10.9.9.9" == power.source_address
    assert power.reduction_key == "snmp:psu:10.9.9.9:2"
    assert collector.listener.status().by_version == {"v1": 2}


def test_v2c_inform_is_acknowledged_only_when_the_sink_takes_it(
    collector: TrapCollectorThread, sink: RecordingSink, tmp_path: Path
) -> None:
    inform = ["-v2c", "-c", "public", "-r", "0", target(collector), ""]
    answered = run(["snmpinform", "-t", "5", *inform, LINK_DOWN, *link_varbinds(5)], tmp_path)
    assert answered.returncode == 0, answered.stderr
    assert [s.reduction_key for s in sink.signals] == ["snmp:link:127.0.0.1:5"]
    sink.full = True
    unanswered = run(["snmpinform", "-t", "1", *inform, LINK_DOWN, *link_varbinds(6)], tmp_path)
    assert unanswered.returncode != 0
    assert "Timeout" in unanswered.stderr
    status = collector.listener.status()
    assert status.refused == {"overloaded": 1}
    assert status.informs_acknowledged == 1


def test_v3_auth_priv_trap_and_inform(
    collector: TrapCollectorThread, sink: RecordingSink, tmp_path: Path
) -> None:
    trap = run(
        [
            "snmptrap",
            "-v3",
            "-e",
            SENDER_ENGINE,
            *v3_security(),
            target(collector),
            "",
            LINK_DOWN,
            *link_varbinds(9),
        ],
        tmp_path,
    )
    assert trap.returncode == 0, trap.stderr
    inform = run(
        [
            "snmpinform",
            "-v3",
            *v3_security(),
            "-t",
            "5",
            "-r",
            "0",
            target(collector),
            "",
            LINK_UP,
            *link_varbinds(9),
        ],
        tmp_path,
    )
    assert inform.returncode == 0, inform.stderr  # acknowledged
    wait_for(lambda: len(sink.signals) == 2)
    down, up = sink.signals
    assert down.reduction_key == up.reduction_key == "snmp:link:127.0.0.1:9"
    assert (down.clears, up.clears) == (False, True)
    status = collector.listener.status()
    assert status.refused == {}
    assert status.informs_acknowledged == 1
    assert status.v3_discoveries >= 1  # snmpinform learnt our engine ID first
    assert collector.listener.engine_id == RECEIVER_ENGINE.removeprefix("0x")


def test_wrong_credentials_are_refused_counted_and_not_submitted(
    collector: TrapCollectorThread, sink: RecordingSink, tmp_path: Path
) -> None:
    port = target(collector)
    attempts = [
        ["snmptrap", "-v2c", "-c", "secret", port, "", LINK_DOWN],
        ["snmptrap", "-v1", "-c", "private", port, "1.3.6.1.4.1.8072", "127.0.0.1", "2", "0", ""],
        [
            "snmptrap",
            "-v3",
            "-e",
            SENDER_ENGINE,
            *v3_security(auth="wrongpass99"),
            port,
            "",
            LINK_DOWN,
        ],
        [
            "snmptrap",
            "-v3",
            "-e",
            SENDER_ENGINE,
            *v3_security(priv="wrongpriv99"),
            port,
            "",
            LINK_DOWN,
        ],
        [
            "snmptrap",
            "-v3",
            "-e",
            SENDER_ENGINE,
            *v3_security(user="intruder"),
            port,
            "",
            LINK_DOWN,
        ],
    ]
    for attempt in attempts:
        assert run(attempt, tmp_path).returncode == 0
    refused_inform = run(
        [
            "snmpinform",
            "-v3",
            *v3_security(auth="wrongpass99"),
            "-t",
            "5",  # the engine discovery must not time out on a busy machine
            "-r",
            "0",
            port,
            "",
            LINK_UP,
        ],
        tmp_path,
    )
    assert "Authentication failure" in refused_inform.stderr
    expected = {"community": 2, "v3_bad_auth": 2, "v3_decrypt": 1, "v3_unknown_user": 1}
    wait_for(lambda: collector.listener.status().refused == expected)
    assert sink.signals == []


def test_garbage_is_counted_and_the_collector_goes_on(
    collector: TrapCollectorThread, sink: RecordingSink, tmp_path: Path
) -> None:
    good = run(["snmptrap", "-v2c", "-c", "public", target(collector), "", LINK_DOWN], tmp_path)
    assert good.returncode == 0
    wait_for(lambda: len(sink.signals) == 1)
    garbage = [
        b"",
        b"\x00",
        b"hello world",
        b"\x30\x82\xff\xff\x02\x01\x01",  # a length past the end
        b"\x30\x0b\x02\x01\x01\x04\x06public",  # truncated: no PDU
        b"\x30\x03\x02\x01\x05",  # SNMP version 5
        bytes(range(256)),
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for datagram in garbage:
            sender.sendto(datagram, ("127.0.0.1", collector.listener.port))
    wait_for(lambda: collector.listener.status().refused.get("malformed") == len(garbage))
    again = run(["snmptrap", "-v2c", "-c", "public", target(collector), "", LINK_UP], tmp_path)
    assert again.returncode == 0
    wait_for(lambda: len(sink.signals) == 2)
    unmapped = run(
        ["snmptrap", "-v2c", "-c", "public", target(collector), "", "1.3.6.1.4.1.99.1"], tmp_path
    )
    assert unmapped.returncode == 0
    wait_for(lambda: collector.listener.status().refused.get("unmapped") == 1)
    assert len(sink.signals) == 2


def test_a_flood_from_one_source_throttles_only_that_source(
    collector: TrapCollectorThread, sink: RecordingSink, tmp_path: Path
) -> None:
    # A real trap captured once, replayed fast from 127.0.0.2.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as capture:
        capture.bind(("127.0.0.1", 0))
        sent = run(
            [
                "snmptrap",
                "-v2c",
                "-c",
                "public",
                f"127.0.0.1:{capture.getsockname()[1]}",
                "",
                LINK_DOWN,
                *link_varbinds(4),
            ],
            tmp_path,
        )
        assert sent.returncode == 0
        datagram = capture.recv(4096)
    flood = 400
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flooder:
        flooder.bind(("127.0.0.2", 0))
        for _ in range(flood):
            flooder.sendto(datagram, ("127.0.0.1", collector.listener.port))
    wait_for(lambda: collector.listener.status().received == flood)
    throttled = collector.listener.status().refused["flood"]
    # The bucket lets the burst through (plus what refilled meanwhile), no more.
    assert flood - throttled >= SOURCE_BURST
    assert throttled >= flood - SOURCE_BURST - SOURCE_RATE * 30  # 30 s of refill at most
    wait_for(lambda: len(sink.signals) == flood - throttled)  # submitted every 10 ms
    from_flooder = len(sink.signals)
    # Another source is not affected.
    for if_index in (1, 2, 3):
        ok = run(
            [
                "snmptrap",
                "-v2c",
                "-c",
                "public",
                target(collector),
                "",
                LINK_DOWN,
                *link_varbinds(if_index),
            ],
            tmp_path,
        )
        assert ok.returncode == 0
    wait_for(lambda: len(sink.signals) == from_flooder + 3)
    assert {s.source_address for s in sink.signals[from_flooder:]} == {"127.0.0.1"}
    assert collector.listener.status().refused["flood"] == throttled
