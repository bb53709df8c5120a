"""The syslog collector against real senders: util-linux `logger` (UDP RFC 3164 and 5424, TCP
octet-counted and newline-framed) and a real `rsyslogd` relaying UDP into our TCP listener."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alarm_sinks import RecordingSink, lab_directory
from ossbss.assurance.syslog import SyslogCollector, SyslogMapping, SyslogThread
from ossbss.kernel.time import SystemClock
from ossbss.lab.peers import free_port, stop_pid

pytestmark = pytest.mark.skipif(shutil.which("logger") is None, reason="needs util-linux logger")
HOST = socket.gethostname()  # what logger writes in HOSTNAME: the lab router's name here


def _collector(
    sink: RecordingSink, *, rate: float = 2000.0, burst: int = 5000, max_bytes: int = 8192
) -> SyslogCollector:
    return SyslogCollector(
        sink=sink,
        mapping=SyslogMapping.load(),
        directory=lambda: lab_directory(router_name=HOST),
        clock=SystemClock(),
        udp_port=0,
        tcp_port=0,
        max_message_bytes=max_bytes,
        rate_per_source=rate,
        burst_per_source=burst,
        directory_refresh_seconds=0,
    )


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def collector(sink: RecordingSink) -> Iterator[SyslogCollector]:
    thread = SyslogThread(_collector(sink)).start()
    yield thread.collector
    thread.stop()


def logger(collector: SyslogCollector, *args: str, message: str, input: str | None = None) -> None:
    tcp = "-T" in args
    port = collector.tcp_port if tcp else collector.udp_port
    command = ["logger", "-n", "127.0.0.1", "-P", str(port), *args]
    if input is None:
        command.append(message)
    subprocess.run(command, check=True, timeout=10, input=input, text=True)


def wait_status(collector: SyslogCollector, predicate: object, timeout: float = 10.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate(collector.status()):
        if time.monotonic() > deadline:
            raise AssertionError(f"status never matched: {collector.status()}")
        time.sleep(0.02)


def test_udp_rfc5424_link_down_resolves_the_port_by_host_name(
    collector: SyslogCollector, sink: RecordingSink
) -> None:
    logger(
        collector,
        "-d",
        "--rfc5424",
        "-p",
        "local0.err",
        "-t",
        "router1",
        "--sd-id",
        "origin@32473",
        "--sd-param",
        'ip="10.0.0.1"',
        message="%LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
    )
    (signal,) = sink.wait_for(lambda seen: len(seen) == 1)
    assert signal.source == "syslog"
    assert signal.reduction_key == f"syslog:{HOST}:link:Gi0/1"
    assert (signal.alarm_type, signal.probable_cause) == ("communicationsAlarm", "lossOfSignal")
    assert signal.perceived_severity == "major"
    assert not signal.clears
    # the interface named Gi0/1 in the log is GigabitEthernet0/1 in the inventory
    assert (signal.alarmed_object_id, signal.alarmed_object_type) == ("port-router1-gi0-1", "Port")
    assert signal.source_address == "127.0.0.1"
    assert signal.details["syslogProtocol"] == "rfc5424"
    assert signal.details["sd.origin@32473.ip"] == "10.0.0.1"
    assert signal.details["interface"] == "Gi0/1"


def test_udp_rfc3164_link_up_clears_the_link_down(
    collector: SyslogCollector, sink: RecordingSink
) -> None:
    for state in ("down", "up"):
        logger(
            collector,
            "-d",
            "--rfc3164",
            "-p",
            "local0.notice",
            "-t",
            "router1",
            message=f"%LINK-3-UPDOWN: Interface Gi0/1, changed state to {state}",
        )
        sink.wait_for(lambda seen, state=state: seen[-1:] and seen[-1].text.endswith(state))
    down, up = sink.signals
    assert down.details["syslogProtocol"] == "rfc3164"
    assert (down.clears, up.clears) == (False, True)
    assert up.perceived_severity == "cleared"
    assert up.reduction_key == down.reduction_key == f"syslog:{HOST}:link:Gi0/1"
    assert up.alarmed_object_id == "port-router1-gi0-1"


def test_tcp_octet_counted_bgp_neighbor_down(
    collector: SyslogCollector, sink: RecordingSink
) -> None:
    logger(
        collector,
        "-T",
        "--octet-count",
        "-p",
        "daemon.warning",
        "-t",
        "bgpd",
        message="BGP neighbor 192.0.2.1 Down",
    )
    (signal,) = sink.wait_for(lambda seen: len(seen) == 1)
    assert signal.reduction_key == f"syslog:{HOST}:bgp:192.0.2.1"
    assert signal.alarmed_object_type == "Device"
    assert signal.alarmed_object_id == "dev-router1"
    assert signal.details["neighbor"] == "192.0.2.1"


def test_tcp_newline_framing_many_lines_on_one_connection(
    collector: SyslogCollector, sink: RecordingSink
) -> None:
    # logger -T without --octet-count ends each message with LF; stdin = one message per line
    lines = "".join(f"BGP neighbor 192.0.2.{n} Down\n" for n in range(1, 6))
    logger(collector, "-T", "-p", "daemon.err", "-t", "bgpd", message="", input=lines)
    seen = sink.wait_for(lambda seen: len(seen) == 5)
    assert [signal.reduction_key for signal in seen] == [
        f"syslog:{HOST}:bgp:192.0.2.{n}" for n in range(1, 6)
    ]


def test_octet_counted_and_newline_frames_mix_on_one_connection(
    collector: SyslogCollector, sink: RecordingSink
) -> None:
    counted = b"<27>1 - r1 app - - - PON port 1/1/3 LOS"
    line = b"<27>1 - r1 app - - - PON port 1/1/4 LOS\n"
    with socket.create_connection(("127.0.0.1", collector.tcp_port)) as conn:
        conn.sendall(b"%d %s" % (len(counted), counted) + line + b"%d %s" % (len(counted), counted))
    seen = sink.wait_for(lambda seen: len(seen) == 3)
    assert [signal.details["interface"] for signal in seen] == ["1/1/3", "1/1/4", "1/1/3"]


def test_rsyslog_relays_udp_into_our_tcp_listener(
    collector: SyslogCollector, sink: RecordingSink, tmp_path: Path
) -> None:
    if shutil.which("rsyslogd") is None:
        pytest.skip("needs rsyslogd")
    relay_port = free_port()
    (tmp_path / "work").mkdir()
    config = tmp_path / "rsyslog.conf"
    config.write_text(
        f'global(workDirectory="{tmp_path / "work"}")\n'
        'module(load="imudp")\n'
        f'input(type="imudp" address="127.0.0.1" port="{relay_port}")\n'
        f'action(type="omfwd" target="127.0.0.1" port="{collector.tcp_port}" protocol="tcp"'
        ' template="RSYSLOG_SyslogProtocol23Format")\n'
    )
    process = subprocess.Popen(
        ["rsyslogd", "-n", "-f", str(config), "-i", str(tmp_path / "rsyslog.pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # rsyslog's UDP input is up when it answers nothing but keeps running; resend until
        # the relayed message arrives (the first may come before imudp listens)
        deadline = time.monotonic() + 15
        while not sink.signals and time.monotonic() < deadline:
            subprocess.run(
                [
                    "logger",
                    "-n",
                    "127.0.0.1",
                    "-P",
                    str(relay_port),
                    "-d",
                    "-p",
                    "local7.crit",
                    "-t",
                    "olt3",
                    "PON port 1/1/3 LOS",
                ],
                check=True,
                timeout=10,
            )
            time.sleep(0.2)
        signal = sink.wait_for(lambda seen: len(seen) >= 1)[0]
    finally:
        stop_pid(process.pid, process=process)
    assert signal.details["syslogProtocol"] == "rfc5424"
    assert signal.details["sd.timeQuality.tzKnown"] == "1"  # rsyslog's structured data
    assert signal.reduction_key == f"syslog:{HOST}:pon-los:1/1/3"
    assert signal.perceived_severity == "critical"


def test_oversized_and_garbled_dropped_and_counted_valid_ones_kept(
    collector: SyslogCollector, sink: RecordingSink
) -> None:
    def valid(n: int) -> None:
        logger(
            collector,
            "-d",
            "-p",
            "daemon.err",
            "-t",
            "bgpd",
            message=f"BGP neighbor 192.0.2.{n} Down",
        )

    valid(1)
    # a real sender's oversized message (10 KiB > 8 KiB) over UDP and TCP
    logger(collector, "-d", "--size", "20000", "-p", "daemon.err", message="x" * 10_000)
    valid(2)
    logger(
        collector,
        "-T",
        "--octet-count",
        "--size",
        "20000",
        "-p",
        "daemon.err",
        message="y" * 10_000,
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"\x30\x82\x01\x00 not syslog", ("127.0.0.1", collector.udp_port))
        udp.sendto(b"<999>bad pri", ("127.0.0.1", collector.udp_port))
        udp.sendto(
            b"<13>1 2026-99-99T00:00:00Z h a - - - bad time", ("127.0.0.1", collector.udp_port)
        )
    valid(3)
    seen = sink.wait_for(lambda seen: len(seen) == 3)
    assert [s.details["neighbor"] for s in seen] == ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
    wait_status(collector, lambda status: status.dropped.get("oversized") == 2)
    dropped = collector.status().dropped
    assert dropped["garbled:no_pri"] == 1
    assert dropped["garbled:bad_pri"] == 1
    assert dropped["garbled:bad_timestamp"] == 1


def test_a_garbage_tcp_connection_does_not_stop_others(
    collector: SyslogCollector, sink: RecordingSink
) -> None:
    with socket.create_connection(("127.0.0.1", collector.tcp_port)) as garbage:
        garbage.sendall(b"\x00\xff garbage without end " * 1000)  # > 8 KiB and no LF
        garbage.sendall(b"\nstill garbage\n12345678901234567890\n")
        logger(
            collector,
            "-T",
            "--octet-count",
            "-p",
            "daemon.err",
            "-t",
            "bgpd",
            message="BGP neighbor 192.0.2.9 Down",
        )
        garbage.sendall(b"<27>1 - r1 app - - - PON port 1/1/7 LOS\n")  # valid after garbage
        seen = sink.wait_for(lambda seen: len(seen) == 2)
    assert {s.reduction_key.rsplit(":", 1)[1] for s in seen} == {"192.0.2.9", "1/1/7"}
    status = collector.status()
    assert status.dropped["oversized"] == 1
    assert status.dropped["garbled:no_pri"] == 2


def test_a_flood_from_one_host_is_throttled_the_others_get_through() -> None:
    sink = RecordingSink()
    thread = SyslogThread(_collector(sink, rate=50.0, burst=100)).start()
    collector = thread.collector
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flooder:
            flooder.bind(("127.0.0.2", 0))  # another host on the loopback network
            for n in range(3000):
                flooder.sendto(
                    b"<27>1 - flooder app - - - PON port 9/9/%d LOS" % (n % 50),
                    ("127.0.0.1", collector.udp_port),
                )
                if n == 1500:
                    logger(
                        collector,
                        "-d",
                        "-p",
                        "daemon.err",
                        "-t",
                        "bgpd",
                        message="BGP neighbor 198.51.100.7 Down",
                    )
        sink.wait_for(lambda seen: any(s.source_address == "127.0.0.1" for s in seen))
        wait_status(
            collector,
            lambda status: status.received >= 3001 - status.dropped.get("garbled:no_pri", 0),
        )
    finally:
        thread.stop()
    status = collector.status()
    flood = [s for s in sink.signals if s.source_address == "127.0.0.2"]
    assert status.dropped["throttled"] >= 2000
    assert 100 <= len(flood) <= 3000 - status.dropped["throttled"]
    (other,) = [s for s in sink.signals if s.source_address == "127.0.0.1"]
    assert other.details["neighbor"] == "198.51.100.7"


def test_a_full_pipeline_counts_overloaded() -> None:
    sink = RecordingSink(accept=False)
    thread = SyslogThread(_collector(sink)).start()
    try:
        logger(
            thread.collector,
            "-d",
            "-p",
            "daemon.err",
            "-t",
            "bgpd",
            message="BGP neighbor 192.0.2.1 Down",
        )
        wait_status(thread.collector, lambda status: status.dropped.get("overloaded") == 1)
    finally:
        thread.stop()


def test_hosts_behind_one_relay_each_have_their_share() -> None:
    sink = RecordingSink()
    thread = SyslogThread(_collector(sink, rate=50.0, burst=100)).start()
    collector = thread.collector
    try:
        # one TCP connection (a relay) carrying a flood from olt7 and one line from olt8
        frames = [b"<27>1 - olt7 app - - - PON port 1/1/%d LOS\n" % (n % 8) for n in range(2000)]
        frames.insert(1000, b"<27>1 - olt8 app - - - PON port 2/2/2 LOS\n")
        with socket.create_connection(("127.0.0.1", collector.tcp_port)) as relay:
            relay.sendall(b"".join(frames))
        wait_status(collector, lambda status: status.received == 2001)
    finally:
        thread.stop()
    assert collector.status().dropped["throttled"] >= 1800
    (other,) = [s for s in sink.signals if s.details.get("hostname") == "olt8"]
    assert other.reduction_key == "syslog:olt8:pon-los:2/2/2"
