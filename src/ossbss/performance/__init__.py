"""performance: KPI collection (an asyncio SNMP poller for IF-MIB), rates and utilisation,
time series with retention and downsampling, thresholds with hysteresis, availability and the
monthly SLA report, 95th percentiles and capacity forecasts.

The room's only door: other rooms and the composition roots use what is listed here.
"""

from ossbss.performance.api import router
from ossbss.performance.handlers import subscribe
from ossbss.performance.poller import PollerStatus, PollerThread, start_poller_thread
from ossbss.performance.samples import (
    IN_BPS,
    IN_OCTETS,
    IN_UTILISATION,
    OPER_STATUS,
    OUT_BPS,
    OUT_OCTETS,
    OUT_UTILISATION,
    Sample,
    SampleSink,
)
from ossbss.performance.simulator import SimulatorThread

RESOURCES: tuple[()] = ()

__all__ = [
    "IN_BPS",
    "IN_OCTETS",
    "IN_UTILISATION",
    "OPER_STATUS",
    "OUT_BPS",
    "OUT_OCTETS",
    "OUT_UTILISATION",
    "RESOURCES",
    "PollerStatus",
    "PollerThread",
    "Sample",
    "SampleSink",
    "SimulatorThread",
    "router",
    "start_poller_thread",
    "subscribe",
]
