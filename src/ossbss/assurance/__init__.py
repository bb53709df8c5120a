"""assurance: fault management — alarm collectors (SNMP traps, syslog, Alertmanager webhooks,
TMF642), de-duplication and lifecycle (TMF642), correlation through the topology with the
services and customers each root cause hurts, trouble tickets (TMF621) with SLA timers, and
maintenance windows.

The room's only door: other rooms and the composition roots use what is listed here.
"""

from ossbss.assurance import models as _models  # noqa: F401  (registers the tables)
from ossbss.assurance import scope as _scope  # noqa: F401  (correlation's table)
from ossbss.assurance.alarm_queries import get_alarm
from ossbss.assurance.alarm_requests import patch_alarm
from ossbss.assurance.api import router
from ossbss.assurance.board import (
    AlarmDetail,
    Board,
    BoardAlarm,
    alarm_board,
    alarm_detail,
    alarms_on,
    worst_severities,
)
from ossbss.assurance.figures import alarm_counts
from ossbss.assurance.flapping import FlapRule
from ossbss.assurance.handlers import subscribe
from ossbss.assurance.maintenance import covering
from ossbss.assurance.pipeline import AlarmPipeline, Overloaded
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
from ossbss.assurance.snmp import listener_from_settings as snmp_trap_listener
from ossbss.assurance.snmp import load_users as load_snmp_v3_users
from ossbss.assurance.snmp.cli import build_app as traps_cli
from ossbss.assurance.store import IngestOutcome, ingest
from ossbss.assurance.syslog import SyslogCollector, SyslogThread
from ossbss.assurance.syslog import collector_from_settings as syslog_collector
from ossbss.assurance.tickets import (
    TICKET_STATUSES,
    TROUBLE_TICKET,
    DueTicket,
    SlaSweep,
    add_ticket_commands,
    configure_tickets,
    create_ticket,
    get_ticket,
    patch_ticket,
    sweep_sla,
    ticket_moves,
    ticket_of_customer,
    ticket_queue,
    tickets_near_breach,
    tickets_of_customer,
)
from ossbss.assurance.tickets import add_note as add_ticket_note
from ossbss.assurance.tickets import load_policy as load_sla_policy
from ossbss.assurance.tickets import models as _ticket_models  # noqa: F401  (registers the table)
from ossbss.assurance.wiring import alarm_pipeline, configure

RESOURCES = (TROUBLE_TICKET,)

__all__ = [
    "ALARM_TYPES",
    "CLEARED",
    "RESOURCES",
    "SEVERITIES",
    "SOURCES",
    "TICKET_STATUSES",
    "TROUBLE_TICKET",
    "AlarmDetail",
    "AlarmPipeline",
    "AlarmSignal",
    "AlarmSink",
    "Board",
    "BoardAlarm",
    "DueTicket",
    "FlapRule",
    "IngestOutcome",
    "Overloaded",
    "SlaSweep",
    "SnmpTrapListener",
    "SyslogCollector",
    "SyslogThread",
    "TrapCollectorThread",
    "TrapMapping",
    "V3User",
    "add_ticket_commands",
    "add_ticket_note",
    "alarm_board",
    "alarm_counts",
    "alarm_detail",
    "alarm_pipeline",
    "alarms_on",
    "configure",
    "configure_tickets",
    "covering",
    "create_ticket",
    "get_alarm",
    "get_ticket",
    "ingest",
    "load_sla_policy",
    "load_snmp_v3_users",
    "patch_alarm",
    "patch_ticket",
    "router",
    "snmp_trap_listener",
    "subscribe",
    "sweep_sla",
    "syslog_collector",
    "ticket_moves",
    "ticket_of_customer",
    "ticket_queue",
    "tickets_near_breach",
    "tickets_of_customer",
    "traps_cli",
    "worst_severities",
]
