"""`ossbss assurance traps` in its own process: a real snmpinform is acknowledged once its alarm
is queued, SIGTERM stores what is queued and prints the counters."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from ossbss import bootstrap
from ossbss.assurance.models import Alarm
from ossbss.kernel import Database
from ossbss.lab.peers import free_port
from snmp_helpers import LINK_DOWN, link_varbinds, run


def test_the_traps_command_stores_alarms_and_stops_on_sigterm(
    fresh_database_url: str, tmp_path: Path
) -> None:
    database = Database(fresh_database_url)
    bootstrap.metadata().create_all(database.engine)
    port = free_port()
    env = {
        **os.environ,
        "OSSBSS_DATABASE_URL": fresh_database_url,
        "OSSBSS_ADMIN_KEY_FILE": str(tmp_path / "admin.key"),
        "OSSBSS_SNMP_TRAP_COMMUNITIES": "netops",
    }
    log = tmp_path / "traps.log"
    command = [sys.executable, "-m", "ossbss.cli", "assurance", "traps", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        inform = ["snmpinform", "-v2c", "-c", "netops", "-t", "0.5", "-r", "0"]
        inform += [f"127.0.0.1:{port}", "", LINK_DOWN, *link_varbinds(3, "ge-0/0/3")]
        deadline = time.monotonic() + 30
        while run(inform, tmp_path).returncode != 0:  # acknowledged = up and queued
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    printed = log.read_text()
    assert "SNMP traps stopped" in printed, printed
    with database.unit_of_work(write=False) as session:
        rows = list(session.scalars(select(Alarm)))
    database.dispose()
    assert [(a.reduction_key, a.specific_problem, a.resolved) for a in rows] == [
        ("snmp:link:127.0.0.1:3", "Link down on ifIndex 3 ge-0/0/3", False)
    ]
