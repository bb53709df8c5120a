"""assurance: fault management — alarm collectors (SNMP traps, syslog, Alertmanager webhooks,
TMF642), de-duplication and lifecycle (TMF642), correlation through the topology with the
services and customers each root cause hurts, trouble tickets (TMF621) with SLA timers, and
maintenance windows.

The room's only door: other rooms and the composition roots use what is listed here.
"""

from ossbss.assurance import models as _models  # noqa: F401  (registers the tables)
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
from ossbss.assurance.snmp import (
    SnmpTrapListener,
    TrapCollectorThread,
    TrapMapping,
    V3User,
)
from ossbss.assurance.snmp import load_users as load_snmp_v3_users

RESOURCES: tuple[()] = ()

__all__ = [
    "ALARM_TYPES",
    "CLEARED",
    "RESOURCES",
    "SEVERITIES",
    "SOURCES",
    "AlarmSignal",
    "AlarmSink",
    "SnmpTrapListener",
    "TrapCollectorThread",
    "TrapMapping",
    "V3User",
    "load_snmp_v3_users",
    "router",
    "subscribe",
]
