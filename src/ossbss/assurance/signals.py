"""What every collector hands the alarm pipeline: a normalised ``AlarmSignal`` (pure data).

A trap, a syslog line, an Alertmanager alert, a TMF642 POST and a crossed threshold all become
one of these; the pipeline de-duplicates them by ``reduction_key`` into alarms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

# TMF642 perceivedSeverity, most severe first ("cleared" is a clear, not a level).
SEVERITIES = ("critical", "major", "minor", "warning", "indeterminate")
CLEARED = "cleared"
# TMF642 alarmType (X.733 event types).
ALARM_TYPES = (
    "communicationsAlarm",
    "processingErrorAlarm",
    "environmentalAlarm",
    "qualityOfServiceAlarm",
    "equipmentAlarm",
    "integrityViolation",
    "operationalViolation",
    "physicalViolation",
    "securityService",
    "mechanismViolation",
    "timeDomainViolation",
)
SOURCES = ("snmp", "syslog", "alertmanager", "tmf642", "threshold")


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmSignal:
    """One occurrence of a problem (or of its clearing) as a collector understood it.

    ``reduction_key`` identifies the problem: signals with the same key are one alarm (count,
    first and last occurrence). A clear (``clears=True``) clears the active alarm whose key is
    ``reduction_key`` (collectors compute the key of the alarm they clear, e.g. a linkUp gives
    the key its linkDown would have had).
    """

    source: str
    reduction_key: str
    alarm_type: str
    probable_cause: str
    perceived_severity: str
    occurred_at: datetime
    alarmed_object_id: str | None = None  # an inventory resource id; None = unresolved
    alarmed_object_type: str | None = None  # its TMF639 @type (Device, Port, Link ...)
    source_address: str | None = None  # who sent it (management address or host name)
    specific_problem: str | None = None
    text: str | None = None
    external_alarm_id: str | None = None
    clears: bool = False
    details: Mapping[str, str] = field(default_factory=dict)


class AlarmSink(Protocol):
    """Where collectors put signals. ``submit`` never blocks on the database: it returns False
    when the pipeline is full (the collector counts the signal as dropped, "overloaded")."""

    def submit(self, signals: Sequence[AlarmSignal]) -> bool: ...
