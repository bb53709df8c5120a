"""Prometheus Alertmanager in, alarms out.

Two doors, one meaning:
- ``POST /assurance/v1/alertmanager/webhook``: Alertmanager's webhook receiver payload
  (version 4: ``{status, alerts: [{status, labels, annotations, startsAt, endsAt,
  fingerprint, generatorURL}], ...}``); ``resolved`` alerts clear.
- ``POST /assurance/v1/alertmanager/api/v2/alerts``: the body Prometheus posts to an
  Alertmanager (a JSON array of ``{labels, annotations, startsAt, endsAt, generatorURL}``), so
  Prometheus can alert to us directly; an alert whose ``endsAt`` has passed is resolved.

Either way an alert's reduction key is Alertmanager's own fingerprint of its label set
(FNV-1a 64 over the sorted labels, computed here when the body has none), so the same alert
arriving straight from Prometheus and through an Alertmanager is one alarm. Both answer only
once the signals are durably stored (the pipeline's batch committed): a 200 means stored, and
a sender retries anything else. A body that breaks the format is refused whole (400 naming the
field) and nothing of it is stored.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response

from ossbss.assurance import wiring
from ossbss.assurance.objects import AlarmedObject, ObjectDirectory
from ossbss.assurance.pipeline import Overloaded
from ossbss.assurance.signals import ALARM_TYPES, CLEARED, AlarmSignal
from ossbss.kernel.db import Database
from ossbss.kernel.errors import InvalidInput
from ossbss.tmf import Edge
from ossbss.tmf.api import error_body, json_response, read_json

BASE = "/assurance/v1/alertmanager"
ROLES = frozenset({"noc"})
# Prometheus/Alertmanager severity labels -> TMF642 perceivedSeverity.
SEVERITY = {
    "critical": "critical",
    "page": "critical",
    "emergency": "critical",
    "major": "major",
    "error": "major",
    "high": "major",
    "minor": "minor",
    "medium": "minor",
    "warning": "warning",
    "warn": "warning",
    "low": "warning",
    "info": "indeterminate",
    "none": "indeterminate",
}
DEFAULT_ALARM_TYPE = "qualityOfServiceAlarm"
DIRECTORY_TTL_SECONDS = 30.0
_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_SEPARATOR = 0xFF
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)\Z",
    re.ASCII,
)
_GO_ZERO_YEAR = 1  # Alertmanager writes endsAt 0001-01-01T00:00:00Z for "not ended"


class DurableSink(Protocol):
    def submit_durable(self, signals: Sequence[AlarmSignal]) -> Future[Any]: ...


_sink_provider: Callable[[], DurableSink] | None = None


def use_sink(provider: Callable[[], DurableSink] | None) -> None:
    """Put the routes' signals somewhere else than the platform's alarm pipeline (tests);
    None goes back to the pipeline."""
    global _sink_provider
    _sink_provider = provider


def _sink() -> DurableSink:
    return _sink_provider() if _sink_provider is not None else wiring.alarm_pipeline()


# -- the label set's fingerprint (prometheus/common model.LabelSet.Fingerprint) ----------------


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of a label set, as the 16 hex digits it prints."""
    return _fingerprint(tuple(sorted(labels.items())))


# Prometheus re-sends every firing alert each evaluation: the same label sets come back, and
# hashing byte by byte in Python costs more than the rest of reading an alert.
@functools.lru_cache(maxsize=100_000)
def _fingerprint(items: tuple[tuple[str, str], ...]) -> str:
    value = _FNV_OFFSET
    for item in items:
        for part in item:
            for byte in part.encode():
                value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
            value = ((value ^ _SEPARATOR) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


# -- bodies -> signals (pure) -----------------------------------------------------------------


def webhook_signals(body: Any, *, now: datetime, directory: ObjectDirectory) -> list[AlarmSignal]:
    """An Alertmanager webhook payload (version 4) -> one signal per alert."""
    if not isinstance(body, dict):
        raise _invalid("", "the webhook body is a JSON object")
    version = body.get("version")
    if version is not None and str(version) != "4":
        raise _invalid("version", f"webhook payload version {version!r}; this reads version 4")
    group_status = body.get("status", "firing")
    if group_status not in ("firing", "resolved"):
        raise _invalid("status", "firing or resolved")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise _invalid("alerts", "a list of alerts is required")
    signals = []
    for index, alert in enumerate(alerts):
        where = f"alerts[{index}]"
        if not isinstance(alert, dict):
            raise _invalid(where, "an alert is an object")
        status = alert.get("status", group_status)
        if status not in ("firing", "resolved"):
            raise _invalid(f"{where}.status", "firing or resolved")
        signals.append(
            _signal(alert, where, resolved=status == "resolved", now=now, directory=directory)
        )
    return signals


def posted_signals(body: Any, *, now: datetime, directory: ObjectDirectory) -> list[AlarmSignal]:
    """The Alertmanager API v2 ``POST /api/v2/alerts`` body -> one signal per alert; an alert
    whose ``endsAt`` is not after ``now`` is resolved (Alertmanager's own rule)."""
    if not isinstance(body, list):
        raise _invalid("", "the body is a JSON array of alerts")
    signals = []
    for index, alert in enumerate(body):
        where = f"[{index}]"
        if not isinstance(alert, dict):
            raise _invalid(where, "an alert is an object")
        ends_at = _time(alert.get("endsAt"), f"{where}.endsAt")
        resolved = ends_at is not None and ends_at <= now
        signals.append(_signal(alert, where, resolved=resolved, now=now, directory=directory))
    return signals


def _signal(
    alert: dict[str, Any],
    where: str,
    *,
    resolved: bool,
    now: datetime,
    directory: ObjectDirectory,
) -> AlarmSignal:
    labels = _strings(alert.get("labels"), f"{where}.labels", required=True)
    annotations = _strings(alert.get("annotations"), f"{where}.annotations", required=False)
    starts_at = _time(alert.get("startsAt"), f"{where}.startsAt")
    ends_at = _time(alert.get("endsAt"), f"{where}.endsAt")
    generator = alert.get("generatorURL")
    if generator is not None and not isinstance(generator, str):
        raise _invalid(f"{where}.generatorURL", "a string")
    given = alert.get("fingerprint")
    if given is not None and (not isinstance(given, str) or not 0 < len(given) <= 64):
        raise _invalid(f"{where}.fingerprint", "a string of 1 to 64 characters")
    key = given or fingerprint(labels)
    alarmed = _alarmed_object(labels, directory)
    severity_label = labels.get("severity", "").lower()
    alarm_type = labels.get("alarm_type") or labels.get("alarmType") or DEFAULT_ALARM_TYPE
    details = {f"label.{name}": value for name, value in labels.items()}
    details.update({f"annotation.{name}": value for name, value in annotations.items()})
    if generator:
        details["generatorURL"] = generator
    return AlarmSignal(
        source="alertmanager",
        reduction_key=f"alertmanager:{key}",
        alarm_type=alarm_type if alarm_type in ALARM_TYPES else DEFAULT_ALARM_TYPE,
        probable_cause=(labels.get("alertname") or "prometheusAlert")[:120],
        perceived_severity=CLEARED if resolved else SEVERITY.get(severity_label, "indeterminate"),
        occurred_at=(ends_at if resolved and ends_at else starts_at) or now,
        alarmed_object_id=alarmed.id if alarmed else None,
        alarmed_object_type=alarmed.type if alarmed else None,
        source_address=(labels.get("instance") or labels.get("device") or "")[:200] or None,
        specific_problem=(annotations.get("summary") or "")[:400] or None,
        text=annotations.get("description") or annotations.get("summary"),
        external_alarm_id=key,
        clears=resolved,
        details=details,
    )


def _alarmed_object(labels: Mapping[str, str], directory: ObjectDirectory) -> AlarmedObject | None:
    """The device named by ``device`` or ``instance`` (host:port, name or address), and its
    port by ``ifIndex`` or ``ifName`` / ``interface`` when the labels name one."""
    device = None
    for label in ("device", "instance", "host", "hostname"):
        value = labels.get(label)
        if not value:
            continue
        host = _host_of(value)
        device = directory.device(address=host, host=host)
        if device is not None:
            break
    if device is None:
        return None
    if_index = labels.get("ifIndex")
    if_name = labels.get("ifName") or labels.get("ifDescr") or labels.get("interface")
    port = directory.port(
        device,
        if_index=int(if_index) if if_index and if_index.isdigit() else None,
        if_name=if_name,
    )
    return port or device


def _host_of(instance: str) -> str:
    """``10.0.0.1:9100`` -> ``10.0.0.1``; ``[2001:db8::1]:9100`` -> ``2001:db8::1``."""
    if instance.startswith("["):
        return instance[1:].split("]", 1)[0]
    host, colon, port = instance.rpartition(":")
    if colon and port.isdigit() and ":" not in host:
        return host
    return instance


def _strings(value: Any, where: str, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or (required and not value):
        raise _invalid(where, "an object of string values" + (", not empty" if required else ""))
    for name, item in value.items():
        if not isinstance(item, str) or not name:
            raise _invalid(f"{where}.{name}", "a string")
    return value


def _time(value: Any, where: str) -> datetime | None:
    if value is None or value == "":
        return None
    found = _RFC3339.match(value) if isinstance(value, str) else None
    if found is None:
        raise _invalid(where, "an RFC 3339 date-time")
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    if int(year) == _GO_ZERO_YEAR:
        return None
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        raise _invalid(where, "an RFC 3339 date-time") from None
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment


def _invalid(field: str, detail: str) -> InvalidInput:
    return InvalidInput("Invalid alert", field=field or "body", detail=detail)


# -- the directory the routes resolve objects with ---------------------------------------------


class _DirectoryCache:
    """The object directory, reloaded when older than ``ttl`` (inventory changes are picked
    up within it); one load at a time."""

    def __init__(self, ttl: float = DIRECTORY_TTL_SECONDS) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cached: tuple[Database, ObjectDirectory, float] | None = None

    def get(self, database: Database) -> ObjectDirectory:
        with self._lock:
            cached = self._cached
            if cached and cached[0] is database and time.monotonic() - cached[2] < self._ttl:
                return cached[1]
            with database.unit_of_work(write=False) as session:
                directory = ObjectDirectory.load(session)
            self._cached = (database, directory, time.monotonic())
            return directory

    def forget(self) -> None:
        with self._lock:
            self._cached = None


directories = _DirectoryCache()


# -- routes -----------------------------------------------------------------------------------


def routes(edge: Edge) -> APIRouter:
    router = APIRouter(tags=["Alertmanager"])

    async def ingest(request: Request, to_signals: Callable[..., list[AlarmSignal]]) -> Response:
        # Both are cached (keys for a TTL, the directory for DIRECTORY_TTL_SECONDS): in the
        # loop, as the hot path is a dictionary look-up.
        edge.authorize(request, ROLES)
        body = await read_json(request)
        directory = directories.get(edge.database)
        signals = to_signals(body, now=edge.clock.now(), directory=directory)
        if signals:
            try:
                await asyncio.wrap_future(_sink().submit_durable(signals))
            except Overloaded:
                # Alertmanager and Prometheus retry on 5xx: nothing of the body was stored
                body = error_body(503, "OVERLOADED", "The alarm pipeline is full", "retry later")
                return json_response(body, 503, {"Retry-After": "1"})
        return json_response({"accepted": len(signals)})

    @router.post(f"{BASE}/webhook", summary="Alertmanager webhook receiver (payload version 4)")
    async def webhook(request: Request) -> Response:
        return await ingest(request, webhook_signals)

    @router.post(
        f"{BASE}/api/v2/alerts", summary="Alertmanager API v2 alert ingest (what Prometheus posts)"
    )
    async def post_alerts(request: Request) -> Response:
        return await ingest(request, posted_signals)

    return router
