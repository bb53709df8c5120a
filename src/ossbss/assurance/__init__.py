"""assurance: fault management — alarm collectors (SNMP traps, syslog, Alertmanager webhooks,
TMF642), de-duplication and lifecycle (TMF642), correlation through the topology with the
services and customers each root cause hurts, trouble tickets (TMF621) with SLA timers, and
maintenance windows.

The room's only door: other rooms and the composition roots use what is listed here.
"""

from ossbss.assurance import models as _models  # noqa: F401  (registers the tables)
from ossbss.assurance.api import router
from ossbss.assurance.flapping import FlapRule
from ossbss.assurance.handlers import subscribe
from ossbss.assurance.pipeline import AlarmPipeline, Overloaded
from ossbss.assurance.signals import (
    ALARM_TYPES,
    CLEARED,
    SEVERITIES,
    SOURCES,
    AlarmSignal,
    AlarmSink,
)
from ossbss.assurance.store import IngestOutcome, ingest
from ossbss.assurance.wiring import alarm_pipeline, configure

RESOURCES: tuple[()] = ()

__all__ = [
    "ALARM_TYPES",
    "CLEARED",
    "RESOURCES",
    "SEVERITIES",
    "SOURCES",
    "AlarmPipeline",
    "AlarmSignal",
    "AlarmSink",
    "FlapRule",
    "IngestOutcome",
    "Overloaded",
    "alarm_pipeline",
    "configure",
    "ingest",
    "router",
    "subscribe",
]
