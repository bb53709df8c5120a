"""Shared by the SNMP trap tests: the real net-snmp senders, a recording sink, polling."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ossbss.assurance import AlarmSignal

LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
SENDER_ENGINE = "0x8000000001020304"
RECEIVER_ENGINE = "0x80001f8880aabbccdd"
V3_USER = ("nmsuser", "authpass123", "privpass123")
RES = "/tmf-api/resourceInventoryManagement/v4/resource"


class RecordingSink:
    """An AlarmSink that keeps what it is given (or refuses all while ``full``)."""

    def __init__(self) -> None:
        self.signals: list[AlarmSignal] = []
        self.full = False
        self._lock = threading.Lock()

    def submit(self, signals: Sequence[AlarmSignal]) -> bool:
        if self.full:
            return False
        with self._lock:
            self.signals.extend(signals)
        return True


def net_snmp_env(home: Path) -> dict[str, str]:
    """No MIBs (Debian ships none, oss-peers G1) and no state outside the test's directory."""
    return {
        **os.environ,
        "MIBS": "",
        "MIBDIRS": str(home / "nomibs"),
        "SNMPCONFPATH": str(home),
        "SNMP_PERSISTENT_DIR": str(home),
        "HOME": str(home),
    }


def run(
    command: Sequence[str], home: Path, timeout: float = 15.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        env=net_snmp_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def link_varbinds(if_index: int, descr: str = "") -> list[str]:
    varbinds = [f"{IF_INDEX}.{if_index}", "i", str(if_index)]
    if descr:
        varbinds += [f"{IF_DESCR}.{if_index}", "s", descr]
    return varbinds


def v3_security(
    auth: str = V3_USER[1], priv: str = V3_USER[2], user: str = V3_USER[0]
) -> list[str]:
    return ["-u", user, "-l", "authPriv", "-a", "SHA", "-A", auth, "-x", "AES", "-X", priv]


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def chars(**values: Any) -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for name, value in values.items()]


def make_inventory(client: TestClient) -> tuple[str, str]:
    """A device managed at 127.0.0.1 with a port of ifIndex 7 (through TMF639)."""
    device = client.post(
        RES,
        json={
            "@type": "Device",
            "name": "pe1",
            "resourceCharacteristic": chars(
                vendor="Juniper", model="MX204", managementAddress="127.0.0.1"
            ),
        },
    )
    assert device.status_code == 201, device.text
    device_id = device.json()["id"]
    port = client.post(
        RES,
        json={
            "@type": "Port",
            "name": "xe-0/0/7",
            "resourceCharacteristic": chars(name="xe-0/0/7", ifIndex=7),
            "resourceRelationship": [
                {"relationshipType": "isContainedIn", "resource": {"id": device_id}}
            ],
        },
    )
    assert port.status_code == 201, port.text
    return device_id, port.json()["id"]
