"""Trap OID -> alarm: the rules of ``assurance/mapping/snmp.toml`` (readable, numeric OIDs)
applied to a decoded notification. Pure: the directory and the time are given.

A rule names what the notification means (alarm type, probable cause, severity, the
specific-problem text), what it is about (the sending device, or its port by ifIndex), and its
reduction key; a clearing rule (linkUp) computes the key of the rule it clears (linkDown) from
its own varbinds, so the two meet on the same alarm.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ossbss.assurance.objects import AlarmedObject, ObjectDirectory
from ossbss.assurance.signals import ALARM_TYPES, CLEARED, SEVERITIES, AlarmSignal
from ossbss.assurance.snmp.ber import Value
from ossbss.kernel.errors import InvalidInput

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "mapping" / "snmp.toml"
MISSING = "?"
ADDRESS = "address"  # the template name of the agent's address


@dataclass(frozen=True, slots=True)
class VarbindSource:
    column: str  # the object OID followed by "."
    take: str  # "value" or "index"


@dataclass(frozen=True, slots=True)
class TrapRule:
    name: str
    oid: str
    object: str  # "device" or "port"
    alarm_type: str = ""
    probable_cause: str = ""
    severity: str = ""
    specific_problem: str = ""
    reduction_key: str = ""
    clears: str | None = None
    clear_when: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: TrapRule  # the rule that matched
    raising: TrapRule  # the rule whose alarm it raises or clears (itself unless `clears`)
    names: tuple[str, ...]  # the variables its templates and conditions use


@dataclass(frozen=True, slots=True)
class _Meaning:
    """What one notification (OID, varbinds, agent) means, whenever it comes."""

    reduction_key: str
    specific_problem: str
    clears: bool
    alarmed: AlarmedObject | None
    details: Mapping[str, str]


_MEANING_CACHE_LIMIT = 100_000


class TrapMapping:
    """The rules by notification OID."""

    def __init__(self, rules: Sequence[TrapRule], variables: Mapping[str, Sequence[VarbindSource]]):
        by_name = {rule.name: rule for rule in rules}
        self._variables = {name: tuple(sources) for name, sources in variables.items()}
        self._by_oid: dict[str, _Compiled] = {}
        self._cache: dict[tuple[object, ...], _Meaning] = {}
        self._cached_directory: ObjectDirectory | None = None
        for rule in rules:
            raising = by_name[rule.clears] if rule.clears else rule
            names = _template_names(raising.specific_problem, raising.reduction_key)
            names |= set(rule.clear_when)
            self._by_oid[rule.oid] = _Compiled(rule, raising, tuple(sorted(names - {ADDRESS})))

    @classmethod
    def load(cls, path: Path | None = None) -> TrapMapping:
        file = path or DEFAULT_RULES
        with file.open("rb") as handle:
            return cls.parse(tomllib.load(handle), origin=str(file))

    @classmethod
    def parse(cls, document: Mapping[str, Any], *, origin: str = "rules") -> TrapMapping:
        variables = {
            str(name): [
                VarbindSource(column=str(entry["oid"]).strip(".") + ".", take=str(entry["take"]))
                for entry in entries
            ]
            for name, entries in (document.get("varbinds") or {}).items()
        }
        rules = [_rule(entry, origin) for entry in document.get("trap") or ()]
        names = {rule.name for rule in rules}
        for rule in rules:
            if rule.clears and rule.clears not in names:
                raise _invalid(origin, rule.name, f"clears unknown rule {rule.clears!r}")
            used = _template_names(rule.specific_problem, rule.reduction_key) | set(rule.clear_when)
            unknown = used - set(variables) - {ADDRESS}
            if unknown:
                raise _invalid(origin, rule.name, f"unknown varbind names {sorted(unknown)}")
        return cls(rules, variables)

    def knows(self, trap_oid: str) -> bool:
        return trap_oid in self._by_oid

    def signal(
        self,
        *,
        trap_oid: str,
        varbinds: Sequence[tuple[str, Value]],
        address: str,
        directory: ObjectDirectory | None,
        now: datetime,
    ) -> AlarmSignal | None:
        """The alarm signal of this notification, or None when no rule knows its OID."""
        compiled = self._by_oid.get(trap_oid)
        if compiled is None:
            return None
        if directory is not self._cached_directory:  # new inventory: forget what was resolved
            self._cache.clear()
            self._cached_directory = directory
        # A storm repeats the same notifications: what they mean is computed once (bounded).
        key = (trap_oid, tuple(varbinds), address)
        meaning = self._cache.get(key)
        if meaning is None:
            meaning = self._meaning(compiled, trap_oid, varbinds, address, directory)
            if len(self._cache) >= _MEANING_CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = meaning
        raising, alarmed = compiled.raising, meaning.alarmed
        return AlarmSignal(
            source="snmp",
            reduction_key=meaning.reduction_key,
            alarm_type=raising.alarm_type,
            probable_cause=raising.probable_cause,
            perceived_severity=CLEARED if meaning.clears else raising.severity,
            occurred_at=now,
            alarmed_object_id=alarmed.id if alarmed else None,
            alarmed_object_type=alarmed.type if alarmed else None,
            source_address=address,
            specific_problem=meaning.specific_problem,
            clears=meaning.clears,
            details=meaning.details,
        )

    def _meaning(
        self,
        compiled: _Compiled,
        trap_oid: str,
        varbinds: Sequence[tuple[str, Value]],
        address: str,
        directory: ObjectDirectory | None,
    ) -> _Meaning:
        rule, raising = compiled.rule, compiled.raising
        values = {name: self._extract(name, varbinds) for name in compiled.names}
        values[ADDRESS] = address
        clears = rule.clears is not None or any(
            values.get(name) in accepted for name, accepted in rule.clear_when.items()
        )
        alarmed = _alarmed_object(raising.object, directory, address, values)
        details = {"trapOid": trap_oid, "trap": rule.name, "source": address}
        details.update(
            (name, value) for name, value in values.items() if value != MISSING and name != ADDRESS
        )
        if alarmed is None:
            details["unresolved"] = "true"
        lookup = _Defaulting(values)
        return _Meaning(
            reduction_key=raising.reduction_key.format_map(lookup),
            specific_problem=raising.specific_problem.format_map(lookup),
            clears=clears,
            alarmed=alarmed,
            details=details,
        )

    def _extract(self, name: str, varbinds: Sequence[tuple[str, Value]]) -> str:
        for source in self._variables.get(name, ()):
            for oid, value in varbinds:
                if oid.startswith(source.column):
                    if source.take == "index":
                        return oid[len(source.column) :]
                    return _text(value)
        return MISSING


def _alarmed_object(
    kind: str, directory: ObjectDirectory | None, address: str, values: Mapping[str, str]
) -> AlarmedObject | None:
    if directory is None:
        return None
    device = directory.device(address=address)
    if device is None or kind != "port":
        return device
    index = values.get("ifIndex", MISSING)
    name = values.get("ifName", MISSING)
    port = directory.port(
        device,
        if_index=int(index) if index.isdigit() else None,
        if_name=name if name != MISSING else None,
    )
    return port or device


def _text(value: Value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


class _Defaulting(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return MISSING


def _template_names(*templates: str) -> set[str]:
    return {
        name
        for template in templates
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }


def _rule(entry: Mapping[str, Any], origin: str) -> TrapRule:
    name = str(entry.get("name") or "")
    oid = str(entry.get("oid") or "").strip(".")
    if not name or not oid or not all(part.isdigit() for part in oid.split(".")):
        raise _invalid(origin, name or "?", "needs a name and a numeric oid")
    kind = str(entry.get("object", "device"))
    if kind not in ("device", "port"):
        raise _invalid(origin, name, f"object must be device or port, not {kind!r}")
    clear_when = {
        str(key): frozenset(str(v) for v in values)
        for key, values in (entry.get("clear_when") or {}).items()
    }
    if entry.get("clears"):
        return TrapRule(name=name, oid=oid, object=kind, clears=str(entry["clears"]))
    rule = TrapRule(
        name=name,
        oid=oid,
        object=kind,
        alarm_type=str(entry.get("alarm_type", "")),
        probable_cause=str(entry.get("probable_cause", "")),
        severity=str(entry.get("severity", "")),
        specific_problem=str(entry.get("specific_problem", "")),
        reduction_key=str(entry.get("reduction_key", "")),
        clear_when=clear_when,
    )
    if rule.alarm_type not in ALARM_TYPES:
        raise _invalid(origin, name, f"alarm_type {rule.alarm_type!r} is not a TMF642 type")
    if rule.severity not in SEVERITIES:
        raise _invalid(origin, name, f"severity {rule.severity!r} is not one of {SEVERITIES}")
    if not rule.probable_cause or not rule.reduction_key:
        raise _invalid(origin, name, "needs probable_cause and reduction_key")
    return rule


def _invalid(origin: str, name: str, detail: str) -> InvalidInput:
    return InvalidInput("Invalid SNMP trap rule", field=f"{origin}: {name}", detail=detail)
