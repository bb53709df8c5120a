"""The SNMP trap collector (v1, v2c, v3 TRAPs and INFORMs -> alarm signals)."""

from ossbss.assurance.snmp.listener import (
    SnmpTrapListener,
    TrapCollectorStatus,
    TrapCollectorThread,
)
from ossbss.assurance.snmp.mapping import TrapMapping
from ossbss.assurance.snmp.setup import listener_from_settings
from ossbss.assurance.snmp.v3 import V3User, load_users

__all__ = [
    "SnmpTrapListener",
    "TrapCollectorStatus",
    "TrapCollectorThread",
    "TrapMapping",
    "V3User",
    "listener_from_settings",
    "load_users",
]
