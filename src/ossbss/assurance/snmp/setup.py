"""The collector as the settings describe it (``OSSBSS_SNMP_TRAP_*``), for ``serve`` and for
``ossbss assurance traps``."""

from __future__ import annotations

from ossbss.assurance.objects import ObjectDirectory
from ossbss.assurance.signals import AlarmSink
from ossbss.assurance.snmp.listener import SnmpTrapListener
from ossbss.assurance.snmp.mapping import TrapMapping
from ossbss.assurance.snmp.v3 import load_users
from ossbss.kernel import Clock, Database, Settings


def listener_from_settings(
    settings: Settings,
    *,
    sink: AlarmSink,
    clock: Clock,
    database: Database,
    port: int | None = None,
) -> SnmpTrapListener:
    """A listener resolving alarmed objects from the inventory (re-read every
    ``snmp_trap_directory_refresh_seconds`` with a short transaction of its own)."""

    def load_directory() -> ObjectDirectory:
        with database.unit_of_work() as session:
            return ObjectDirectory.load(session)

    communities = [c.strip() for c in settings.snmp_trap_communities.split(",") if c.strip()]
    users = load_users(settings.snmp_trap_v3_users) if settings.snmp_trap_v3_users else []
    return SnmpTrapListener(
        sink=sink,
        clock=clock,
        mapping=TrapMapping.load(settings.snmp_trap_rules),
        communities=communities,
        v3_users=users,
        engine_id=settings.snmp_trap_engine_id or None,
        host=settings.snmp_trap_host,
        port=settings.snmp_trap_port if port is None else port,
        source_rate=settings.snmp_trap_source_rate,
        source_burst=settings.snmp_trap_source_burst,
        directory_loader=load_directory,
        directory_refresh_seconds=settings.snmp_trap_directory_refresh_seconds,
    )
