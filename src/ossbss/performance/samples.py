"""What a collector of KPIs hands the performance store: ``Sample`` values (pure data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Metrics the poller produces per port (IF-MIB); rates are per second over the poll interval.
IN_OCTETS = "ifHCInOctets"  # raw counter (kept for wrap and restart detection, not stored)
OUT_OCTETS = "ifHCOutOctets"
IN_BPS = "inBps"  # bits per second
OUT_BPS = "outBps"
IN_UTILISATION = "inUtilisation"  # percent of ifHighSpeed / speedMbps, 0..100
OUT_UTILISATION = "outUtilisation"
OPER_STATUS = "operStatus"  # 1 up, 2 down, ... (IF-MIB ifOperStatus)
# Per device: 1 it answered its poll, 0 it did not (a "below" threshold turns a run of zeros
# into a nodeDown alarm, which correlation makes the root cause of what sits behind it).
REACHABLE = "reachable"


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one metric of one resource (a port, a device, a service) at one moment."""

    resource_id: str
    metric: str
    at: datetime  # aware UTC
    value: float


class SampleSink(Protocol):
    """Where the poller puts derived samples (the performance store in production)."""

    def __call__(self, samples: Sequence[Sample]) -> None: ...
