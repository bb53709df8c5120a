"""Syslog mapping rules (``assurance/mapping/syslog.toml``): a message -> an alarm signal, a
clear, or nothing. Pure once loaded: the collector gives it the parsed message, the sender's
address, the object directory and the arrival time."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ossbss.assurance.objects import AlarmedObject, ObjectDirectory
from ossbss.assurance.signals import ALARM_TYPES, CLEARED, SEVERITIES, AlarmSignal
from ossbss.assurance.syslog.parser import SEVERITY_NAMES, SyslogMessage, severity_number
from ossbss.kernel.errors import InvalidInput

DEFAULT_MAPPING = Path(__file__).resolve().parent.parent / "mapping" / "syslog.toml"
_DIGITS = re.compile(r"\d+")
_PLACEHOLDER = re.compile(r"{(\w+)}")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    alarm_type: str
    probable_cause: str
    severity: str | None  # None: from the syslog severity
    object: str  # "device" or "port"
    key: str  # template with {group} placeholders
    clears: bool


@dataclass(frozen=True, slots=True)
class SyslogMapping:
    rules: tuple[Rule, ...]
    severity_map: Mapping[int, str]  # syslog severity -> perceivedSeverity
    unmatched_max_severity: int | None  # lines at or below this number (more severe) alarm
    unmatched_alarm_type: str
    unmatched_probable_cause: str
    interface_aliases: Mapping[str, str]

    @classmethod
    def load(cls, path: Path | None = None) -> SyslogMapping:
        source = path or DEFAULT_MAPPING
        try:
            text = source.read_text()
        except OSError as exc:
            raise InvalidInput(
                "Unreadable syslog mapping", field="syslogMapping", detail=f"{source}: {exc}"
            ) from None
        return parse_mapping(text, source=str(source))

    def signal(
        self,
        message: SyslogMessage,
        *,
        sender: str,
        directory: ObjectDirectory,
        received_at: datetime,
    ) -> AlarmSignal | None:
        """The signal this message means, or None (no rule, and below the unmatched floor)."""
        host = message.hostname or sender
        device = directory.device(host=message.hostname) if message.hostname else None
        if device is None:
            device = directory.device(address=sender)
        for rule in self.rules:
            found = rule.pattern.search(message.message)
            if found is None:
                continue
            groups = {name: value for name, value in found.groupdict().items() if value}
            return self._matched(
                rule, message, groups, host, sender, device, directory, received_at
            )
        return self._unmatched(message, host, sender, device, received_at)

    def _matched(
        self,
        rule: Rule,
        message: SyslogMessage,
        groups: dict[str, str],
        host: str,
        sender: str,
        device: AlarmedObject | None,
        directory: ObjectDirectory,
        received_at: datetime,
    ) -> AlarmSignal | None:
        try:
            key = rule.key.format_map(groups)
        except KeyError:  # a group of the key did not take part in the match
            return None
        alarmed = device
        if rule.object == "port" and device is not None and "interface" in groups:
            alarmed = self._port(directory, device, groups["interface"]) or device
        severity = CLEARED if rule.clears else rule.severity
        return AlarmSignal(
            source="syslog",
            reduction_key=_bounded(f"syslog:{host.lower()}:{key}"),
            alarm_type=rule.alarm_type,
            probable_cause=rule.probable_cause,
            perceived_severity=severity or self.severity_map[message.severity],
            occurred_at=_occurred_at(message, received_at),
            alarmed_object_id=alarmed.id if alarmed else None,
            alarmed_object_type=alarmed.type if alarmed else None,
            source_address=sender,
            specific_problem=rule.name,
            text=message.message,
            clears=rule.clears,
            details=_details(message, groups, rule=rule.name),
        )

    def _unmatched(
        self,
        message: SyslogMessage,
        host: str,
        sender: str,
        device: AlarmedObject | None,
        received_at: datetime,
    ) -> AlarmSignal | None:
        floor = self.unmatched_max_severity
        if floor is None or message.severity > floor:
            return None
        shape = _DIGITS.sub("#", message.message)
        digest = hashlib.sha1(shape.encode(), usedforsecurity=False).hexdigest()[:16]
        tag = message.app_name or "-"
        return AlarmSignal(
            source="syslog",
            reduction_key=_bounded(f"syslog:{host.lower()}:unmatched:{tag}:{digest}"),
            alarm_type=self.unmatched_alarm_type,
            probable_cause=self.unmatched_probable_cause,
            perceived_severity="indeterminate",
            occurred_at=_occurred_at(message, received_at),
            alarmed_object_id=device.id if device else None,
            alarmed_object_type=device.type if device else None,
            source_address=sender,
            specific_problem=f"{tag}: {shape[:200]}",
            text=message.message,
            details=_details(message, {}, rule=None),
        )

    def _port(
        self, directory: ObjectDirectory, device: AlarmedObject, name: str
    ) -> AlarmedObject | None:
        found = directory.port(device, if_name=name)
        if found is not None:
            return found
        for short, full in self.interface_aliases.items():
            if name.startswith(short) and not name.startswith(full):
                found = directory.port(device, if_name=full + name[len(short) :])
                if found is not None:
                    return found
        return None


def _bounded(key: str, limit: int = 400) -> str:
    """A reduction key fits its column: an overlong one keeps its head and a digest of all."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
    return f"{key[: limit - len(digest) - 1]}#{digest}"


def _occurred_at(message: SyslogMessage, received_at: datetime) -> datetime:
    # An RFC 5424 TIMESTAMP is exact (zone included); a BSD one has neither year nor zone and
    # device clocks drift, so those lines count from their arrival (the stamp stays in details).
    if message.protocol == "rfc5424" and message.timestamp is not None:
        return message.timestamp
    return received_at


def _details(
    message: SyslogMessage, groups: Mapping[str, str], *, rule: str | None
) -> dict[str, str]:
    details = {
        "syslogTimestamp": message.timestamp.isoformat() if message.timestamp else "",
        "syslogSeverity": message.severity_name,
        "syslogFacility": str(message.facility),
        "syslogProtocol": message.protocol,
    }
    for name, value in (
        ("hostname", message.hostname),
        ("appName", message.app_name),
        ("procId", message.procid),
        ("msgId", message.msgid),
        ("rule", rule),
    ):
        if value:
            details[name] = value
    for sd_id, params in message.structured_data.items():
        for name, value in params.items():
            details[f"sd.{sd_id}.{name}"] = value
    details.update(groups)
    return details


# -- loading ----------------------------------------------------------------------------------


def parse_mapping(text: str, *, source: str = "syslog.toml") -> SyslogMapping:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _invalid(source, "", str(exc)) from None
    defaults = _table(document, "defaults", source)
    severity_table = _table(document, "severity", source)
    severity_map = {}
    for number, name in enumerate(SEVERITY_NAMES):
        value = severity_table.get(name, "indeterminate")
        if value not in SEVERITIES:
            raise _invalid(source, f"severity.{name}", f"{value!r} is not one of {SEVERITIES}")
        severity_map[number] = str(value)
    floor_name = str(defaults.get("unmatched_min_severity", "err"))
    try:
        floor = None if floor_name == "none" else severity_number(floor_name)
    except ValueError as exc:
        raise _invalid(source, "defaults.unmatched_min_severity", str(exc)) from None
    raw_rules = document.get("rule", [])
    if not isinstance(raw_rules, list):
        raise _invalid(source, "rule", "use [[rule]] tables")
    by_name: dict[str, Rule] = {}
    rules = [_rule(raw, index, source, by_name) for index, raw in enumerate(raw_rules)]
    aliases = _table(document, "interface_aliases", source)
    return SyslogMapping(
        rules=tuple(rules),
        severity_map=severity_map,
        unmatched_max_severity=floor,
        unmatched_alarm_type=_alarm_type(
            defaults.get("unmatched_alarm_type", "processingErrorAlarm"), source, "defaults"
        ),
        unmatched_probable_cause=str(
            defaults.get("unmatched_probable_cause", "unclassifiedSyslogMessage")
        ),
        # longest first: "Eth" is tried before "E"
        interface_aliases=dict(
            sorted(((str(k), str(v)) for k, v in aliases.items()), key=lambda kv: -len(kv[0]))
        ),
    )


def _rule(raw: Any, index: int, source: str, by_name: dict[str, Rule]) -> Rule:
    where = f"rule[{index}]"
    if not isinstance(raw, dict):
        raise _invalid(source, where, "a rule is a table")
    name = str(raw.get("name") or where)
    where = f"rule {name!r}"
    if name in by_name:
        raise _invalid(source, where, "two rules have this name")
    try:
        pattern = re.compile(str(raw["pattern"]))
    except KeyError:
        raise _invalid(source, where, "no pattern") from None
    except re.error as exc:
        raise _invalid(source, where, f"pattern: {exc}") from None
    cleared_name = raw.get("clears")
    if cleared_name is not None:
        cleared = by_name.get(str(cleared_name))
        if cleared is None:
            raise _invalid(source, where, f"clears {cleared_name!r}, which no rule above defines")
        _check_placeholders(cleared.key, pattern, source, where)
        rule = Rule(
            name=name,
            pattern=pattern,
            alarm_type=cleared.alarm_type,
            probable_cause=cleared.probable_cause,
            severity=CLEARED,
            object=cleared.object,
            key=cleared.key,
            clears=True,
        )
    else:
        severity = raw.get("severity")
        if severity is not None and severity not in SEVERITIES:
            raise _invalid(source, where, f"severity {severity!r} is not one of {SEVERITIES}")
        kind = str(raw.get("object", "device"))
        if kind not in ("device", "port"):
            raise _invalid(source, where, "object is device or port")
        if kind == "port" and "interface" not in pattern.groupindex:
            raise _invalid(source, where, "object = port needs an (?P<interface>...) group")
        key = str(raw.get("key") or name)
        _check_placeholders(key, pattern, source, where)
        rule = Rule(
            name=name,
            pattern=pattern,
            alarm_type=_alarm_type(raw.get("alarm_type"), source, where),
            probable_cause=str(raw.get("probable_cause") or name),
            severity=str(severity) if severity is not None else None,
            object=kind,
            key=key,
            clears=False,
        )
    by_name[name] = rule
    return rule


def _check_placeholders(key: str, pattern: re.Pattern[str], source: str, where: str) -> None:
    missing = [name for name in _PLACEHOLDER.findall(key) if name not in pattern.groupindex]
    if missing:
        raise _invalid(source, where, f"key needs group(s) {', '.join(missing)} in the pattern")


def _alarm_type(value: Any, source: str, where: str) -> str:
    if value not in ALARM_TYPES:
        raise _invalid(source, where, f"alarm_type {value!r} is not one of {ALARM_TYPES}")
    return str(value)


def _table(document: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    table = document.get(name, {})
    if not isinstance(table, dict):
        raise _invalid(source, name, "must be a table")
    return table


def _invalid(source: str, where: str, detail: str) -> InvalidInput:
    return InvalidInput(
        "Invalid syslog mapping",
        field=where or "syslogMapping",
        detail=f"{source}: {where + ': ' if where else ''}{detail}",
    )
