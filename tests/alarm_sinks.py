"""Test doubles and small inventories for the alarm collectors (syslog, Alertmanager)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from ossbss import inventory
from ossbss.assurance import AlarmSignal
from ossbss.assurance.objects import ObjectDirectory


class RecordingSink:
    """An AlarmSink that keeps every signal (thread-safe); ``accept=False`` plays a full one."""

    def __init__(self, *, accept: bool = True) -> None:
        self.signals: list[AlarmSignal] = []
        self.accept = accept
        self._lock = threading.Lock()

    def submit(self, signals: Sequence[AlarmSignal]) -> bool:
        if not self.accept:
            return False
        with self._lock:
            self.signals.extend(signals)
        return True

    def submit_durable(self, signals: Sequence[AlarmSignal]) -> Future[object]:
        done: Future[object] = Future()
        self.submit(signals)
        done.set_result(None)
        return done

    def keys(self) -> list[str]:
        with self._lock:
            return [signal.reduction_key for signal in self.signals]

    def wait_for(
        self, predicate: Callable[[list[AlarmSignal]], bool], timeout: float = 10.0
    ) -> list[AlarmSignal]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                snapshot = list(self.signals)
            if predicate(snapshot):
                return snapshot
            time.sleep(0.02)
        raise AssertionError(f"not seen within {timeout}s; got {snapshot!r}")


def lab_directory(router_name: str = "router1.lab.example") -> ObjectDirectory:
    """A router (10.0.0.1) with GigabitEthernet0/1 (ifIndex 1); olt3 (10.0.0.3) with PON 1/1/3."""
    return ObjectDirectory(
        [
            inventory.ManagedDevice(
                id="dev-router1",
                name=router_name,
                management_address="10.0.0.1",
                characteristics={},
                ports=(
                    inventory.ManagedPort(
                        id="port-router1-gi0-1",
                        device_id="dev-router1",
                        name="GigabitEthernet0/1",
                        role=None,
                        if_index=1,
                        speed_mbps=1000,
                    ),
                ),
            ),
            inventory.ManagedDevice(
                id="dev-olt3",
                name="olt3",
                management_address="10.0.0.3",
                characteristics={},
                ports=(
                    inventory.ManagedPort(
                        id="port-olt3-pon-1-1-3",
                        device_id="dev-olt3",
                        name="1/1/3",
                        role="pon",
                        if_index=1001003,
                        speed_mbps=2500,
                    ),
                ),
            ),
        ]
    )
