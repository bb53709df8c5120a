"""assurance: fault management — alarm collectors (SNMP traps, syslog, Alertmanager webhooks,
TMF642), de-duplication and lifecycle (TMF642), correlation through the topology with the
services and customers each root cause hurts, trouble tickets (TMF621) with SLA timers, and
maintenance windows.

The room's only door: other rooms and the composition roots use what is listed here.
"""

from ossbss.assurance import models as _models  # noqa: F401  (registers the tables)
from ossbss.assurance import scope as _scope  # noqa: F401  (correlation's table)
from ossbss.assurance.api import router
from ossbss.assurance.handlers import subscribe
from ossbss.assurance.signals import (
    ALARM_TYPES,
    CLEARED,
    SEVERITIES,
    SOURCES,
    AlarmSignal,
    AlarmSink,
)

RESOURCES: tuple[()] = ()

__all__ = [
    "ALARM_TYPES",
    "CLEARED",
    "RESOURCES",
    "SEVERITIES",
    "SOURCES",
    "AlarmSignal",
    "AlarmSink",
    "router",
    "subscribe",
]
