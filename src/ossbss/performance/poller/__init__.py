"""The SNMP poller of IF-MIB interface counters (see docs/rooms/performance-poller.md).

Used through ``ossbss.performance`` (the room's door); the package's modules are internal.
"""

from ossbss.performance.poller.client import SnmpClient, SnmpError, SnmpTimeout
from ossbss.performance.poller.ifmib import DeviceTarget, read_device
from ossbss.performance.poller.rules import DeviceReading, PortBinding, PortReading, derive
from ossbss.performance.poller.scheduler import (
    CycleReport,
    DeviceStatus,
    Poller,
    PollerStatus,
)
from ossbss.performance.poller.service import (
    inventory_targets,
    poller_from_settings,
    start_poller_thread,
)
from ossbss.performance.poller.targets import Targets, targets_from
from ossbss.performance.poller.thread import PollerThread

__all__ = [
    "CycleReport",
    "DeviceReading",
    "DeviceStatus",
    "DeviceTarget",
    "Poller",
    "PollerStatus",
    "PollerThread",
    "PortBinding",
    "PortReading",
    "SnmpClient",
    "SnmpError",
    "SnmpTimeout",
    "Targets",
    "derive",
    "inventory_targets",
    "poller_from_settings",
    "read_device",
    "start_poller_thread",
    "targets_from",
]
