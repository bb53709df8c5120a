"""Syslog into alarms: RFC 3164 and RFC 5424 over UDP and TCP (RFC 6587 framing), mapped by
``assurance/mapping/syslog.toml`` into alarm signals (see docs/rooms/assurance-syslog.md)."""

from ossbss.assurance.syslog.collector import (
    SyslogCollector,
    SyslogStatus,
    SyslogThread,
    collector_from_settings,
    directory_loader,
)
from ossbss.assurance.syslog.mapping import DEFAULT_MAPPING, SyslogMapping, parse_mapping
from ossbss.assurance.syslog.parser import Garbled, SyslogMessage, parse

__all__ = [
    "DEFAULT_MAPPING",
    "Garbled",
    "SyslogCollector",
    "SyslogMapping",
    "SyslogMessage",
    "SyslogStatus",
    "SyslogThread",
    "collector_from_settings",
    "directory_loader",
    "parse",
    "parse_mapping",
]
