"""End to end: real `logger` lines through the syslog collector and the alarm pipeline into
alarm rows, resolved against the inventory (devices and ports created through TMF639)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alarm_rows import wait_alarms
from ossbss import bootstrap
from ossbss.assurance.syslog import SyslogCollector, SyslogMapping, SyslogThread, directory_loader
from test_inventory_api import device, port

pytestmark = pytest.mark.skipif(shutil.which("logger") is None, reason="needs util-linux logger")
HOST = socket.gethostname()


@pytest.fixture
def collector(platform: bootstrap.Platform) -> Iterator[SyslogCollector]:
    platform.alarm_pipeline.start()
    thread = SyslogThread(
        SyslogCollector(
            sink=platform.alarm_pipeline,
            mapping=SyslogMapping.load(),
            directory=directory_loader(platform.database),
            clock=platform.clock,
            directory_refresh_seconds=0,
        )
    ).start()
    yield thread.collector
    thread.stop()
    platform.alarm_pipeline.stop()


def send(collector: SyslogCollector, *args: str, message: str) -> None:
    port_ = collector.tcp_port if "-T" in args else collector.udp_port
    command = ["logger", "-n", "127.0.0.1", "-P", str(port_), *args, message]
    subprocess.run(command, check=True, timeout=10)


def test_link_down_twice_then_up_is_one_alarm_counted_and_cleared_on_the_port(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    router = device(client, HOST)
    gi01 = port(client, router, "GigabitEthernet0/1")
    thread = SyslogThread(
        SyslogCollector(
            sink=platform.alarm_pipeline,
            mapping=SyslogMapping.load(),
            directory=directory_loader(platform.database),  # read after the inventory exists
            clock=platform.clock,
            directory_refresh_seconds=0,
        )
    )
    platform.alarm_pipeline.start()
    thread.start()
    collector = thread.collector
    try:
        down = "%LINK-3-UPDOWN: Interface Gi0/1, changed state to down"
        send(collector, "-d", "--rfc5424", "-p", "local0.err", "-t", "ios", message=down)
        send(collector, "-T", "--octet-count", "-p", "local0.err", "-t", "ios", message=down)
        (alarm,) = wait_alarms(platform, lambda rows: len(rows) == 1 and rows[0].count == 2)
        assert alarm.source == "syslog"
        assert alarm.state != "cleared"
        assert (alarm.alarmed_object_id, alarm.alarmed_object_type) == (gi01, "Port")
        assert alarm.resolved
        assert alarm.perceived_severity == "major"
        up = "%LINK-3-UPDOWN: Interface Gi0/1, changed state to up"
        send(collector, "-d", "--rfc3164", "-p", "local0.notice", "-t", "ios", message=up)
        (alarm,) = wait_alarms(platform, lambda rows: rows[0].state == "cleared")
        assert alarm.cleared_at is not None
    finally:
        thread.stop()
        platform.alarm_pipeline.stop()


def test_a_line_from_an_unknown_host_is_an_unresolved_alarm(
    collector: SyslogCollector, platform: bootstrap.Platform
) -> None:
    send(collector, "-d", "-p", "local7.crit", "-t", "olt9", message="PON port 1/1/3 LOS")
    # an err-level line no rule knows still becomes an (indeterminate) alarm
    send(collector, "-d", "-p", "daemon.err", "-t", "fand", message="fan tray 2 failed")
    rows = wait_alarms(platform, lambda rows: len(rows) == 2)
    pon, fan = sorted(rows, key=lambda alarm: alarm.probable_cause)
    assert pon.probable_cause == "lossOfSignal"
    assert pon.alarmed_object_id is None
    assert not pon.resolved
    assert fan.probable_cause == "unclassifiedSyslogMessage"
    assert fan.perceived_severity == "indeterminate"
    assert fan.alarm_type == "processingErrorAlarm"
