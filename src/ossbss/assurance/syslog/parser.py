"""Syslog messages: RFC 5424 (strict) and RFC 3164 (BSD, as devices really send it).

Pure functions on bytes. A message without a valid PRI, or one that claims RFC 5424 (``<PRI>1 ``)
and breaks its grammar, is ``Garbled``: the collector counts and drops it. RFC 3164 has no
grammar beyond the PRI (section 4.3: anything after it is content), so a BSD line is only as
garbled as its PRI; its timestamp and host name are taken when they are there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# RFC 5424 section 6.2.1: severity names, 0 (emergency) .. 7 (debug).
SEVERITY_NAMES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
SEVERITY_ALIASES = {"emergency": 0, "panic": 0, "critical": 2, "error": 3, "warn": 4}
NILVALUE = "-"
BOM = b"\xef\xbb\xbf"
_MAX_PRI = 191
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_BSD_HEADER = re.compile(
    rb"(?P<month>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<time>\d\d:\d\d:\d\d)(?:\.\d+)? "
    rb"(?:(?P<host>[!-~]+) )?"
)
_BSD_TAG = re.compile(r"(?P<tag>[!-9;-~]{1,48}?)(?:\[(?P<pid>[^\]\s]{1,128})\])?: ")
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{1,6})?(Z|[+-]\d\d:\d\d)\Z", re.ASCII
)


class Garbled(ValueError):
    """Not a syslog message; ``reason`` is a short counter name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SyslogMessage:
    facility: int
    severity: int  # 0 (emerg) .. 7 (debug)
    timestamp: datetime | None  # aware UTC; None when absent or NILVALUE
    hostname: str | None
    app_name: str | None
    procid: str | None
    msgid: str | None
    message: str
    protocol: str  # "rfc5424" or "rfc3164"
    structured_data: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def severity_name(self) -> str:
        return SEVERITY_NAMES[self.severity]


def severity_number(name: str) -> int:
    """``err`` -> 3; accepts the RFC names, common aliases and digits."""
    lowered = name.strip().lower()
    if lowered.isdigit() and int(lowered) < len(SEVERITY_NAMES):
        return int(lowered)
    if lowered in SEVERITY_NAMES:
        return SEVERITY_NAMES.index(lowered)
    if lowered in SEVERITY_ALIASES:
        return SEVERITY_ALIASES[lowered]
    raise ValueError(f"unknown syslog severity {name!r}")


def parse(data: bytes, *, received_at: datetime) -> SyslogMessage:
    """One message (without its transport framing). Raises ``Garbled``."""
    data = data.rstrip(b"\r\n\x00")
    pri, rest = _pri(data)
    if rest[:2] == b"1 ":
        return _rfc5424(pri, rest[2:])
    return _rfc3164(pri, rest, received_at)


def _pri(data: bytes) -> tuple[int, bytes]:
    if not data.startswith(b"<"):
        raise Garbled("no_pri", "does not start with <PRI>")
    end = data.find(b">", 1, 5)
    digits = data[1:end] if end > 0 else b""
    if not digits.isdigit() or (len(digits) > 1 and digits.startswith(b"0")):
        raise Garbled("bad_pri", f"PRI {data[:5]!r}")
    pri = int(digits)
    if pri > _MAX_PRI:
        raise Garbled("bad_pri", f"PRI {pri} above {_MAX_PRI}")
    return pri, data[end + 1 :]


# -- RFC 5424 ---------------------------------------------------------------------------------


def _rfc5424(pri: int, rest: bytes) -> SyslogMessage:
    # HEADER fields are US-ASCII tokens separated by single spaces (section 6).
    parts = rest.split(b" ", 5)
    if len(parts) < 6:
        raise Garbled("bad_header", "RFC 5424 header has fewer than six fields")
    stamp, host, app, procid, msgid, tail = parts
    header = {}
    for name, raw, limit in (
        ("HOSTNAME", host, 255),
        ("APP-NAME", app, 48),
        ("PROCID", procid, 128),
        ("MSGID", msgid, 32),
    ):
        if not raw or len(raw) > limit or not all(33 <= byte <= 126 for byte in raw):
            raise Garbled("bad_header", f"{name} {raw[:40]!r}")
        header[name] = None if raw == b"-" else raw.decode("ascii")
    structured, message = _structured_data(tail)
    return SyslogMessage(
        facility=pri >> 3,
        severity=pri & 7,
        timestamp=_rfc3339(stamp.decode("ascii", "replace")),
        hostname=header["HOSTNAME"],
        app_name=header["APP-NAME"],
        procid=header["PROCID"],
        msgid=header["MSGID"],
        message=_text(message),
        protocol="rfc5424",
        structured_data=structured,
    )


def _rfc3339(stamp: str) -> datetime | None:
    if stamp == NILVALUE:
        return None
    found = _RFC3339.match(stamp)
    if found is None:
        raise Garbled("bad_timestamp", f"TIMESTAMP {stamp[:40]!r}")
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or ".0")[1:].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        raise Garbled("bad_timestamp", f"TIMESTAMP {stamp[:40]!r}") from None
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment


def _structured_data(tail: bytes) -> tuple[dict[str, dict[str, str]], bytes]:
    """STRUCTURED-DATA then the optional `SP MSG` (section 6.3)."""
    if tail.startswith(b"-"):
        if len(tail) > 1 and tail[1:2] != b" ":
            raise Garbled("bad_structured_data", "NILVALUE followed by more than a space")
        return {}, tail[2:]
    if not tail.startswith(b"["):
        raise Garbled("bad_structured_data", "neither - nor [")
    elements: dict[str, dict[str, str]] = {}
    position = 0
    while position < len(tail) and tail[position : position + 1] == b"[":
        position = _sd_element(tail, position + 1, elements)
    if position < len(tail) and tail[position : position + 1] != b" ":
        raise Garbled("bad_structured_data", "no space between STRUCTURED-DATA and MSG")
    return elements, tail[position + 1 :]


def _sd_element(tail: bytes, position: int, elements: dict[str, dict[str, str]]) -> int:
    sd_id, position = _sd_name(tail, position)
    params: dict[str, str] = {}
    while True:
        marker = tail[position : position + 1]
        if marker == b"]":
            elements[sd_id] = params
            return position + 1
        if marker != b" ":
            raise Garbled("bad_structured_data", f"in [{sd_id}]: expected a space or ]")
        name, position = _sd_name(tail, position + 1)
        if tail[position : position + 2] != b'="':
            raise Garbled("bad_structured_data", f'in [{sd_id}]: {name} without ="')
        value, position = _sd_value(tail, position + 2)
        params[name] = value


def _sd_name(tail: bytes, position: int) -> tuple[str, int]:
    start = position
    while position < len(tail) and tail[position] not in b' ="]' and 33 <= tail[position] <= 126:
        position += 1
    if not 0 < position - start <= 32:
        raise Garbled("bad_structured_data", f"SD name at byte {start}")
    return tail[start:position].decode("ascii"), position


def _sd_value(tail: bytes, position: int) -> tuple[str, int]:
    value = bytearray()
    while position < len(tail):
        byte = tail[position]
        if byte == 0x5C and position + 1 < len(tail) and tail[position + 1] in b'"\\]':
            value.append(tail[position + 1])  # \" \\ \] (section 6.3.3)
            position += 2
            continue
        if byte == 0x22:
            return value.decode("utf-8", "replace"), position + 1
        value.append(byte)
        position += 1
    raise Garbled("bad_structured_data", "unterminated PARAM-VALUE")


def _text(message: bytes) -> str:
    # MSG is UTF-8 when it starts with the BOM; otherwise "other" (section 6.4): UTF-8 in
    # practice, and never a reason to drop the line.
    if message.startswith(BOM):
        message = message[len(BOM) :]
    return message.decode("utf-8", "replace").strip()


# -- RFC 3164 ---------------------------------------------------------------------------------


def _rfc3164(pri: int, rest: bytes, received_at: datetime) -> SyslogMessage:
    header = _BSD_HEADER.match(rest)
    timestamp = None
    hostname = None
    if header is not None:
        timestamp = _bsd_time(header, received_at)
        hostname = header["host"].decode("ascii") if header["host"] else None
        rest = rest[header.end() :]
    content = _text(rest)
    if hostname is not None and hostname.endswith(":"):
        # "<13>Nov 26 10:00:00 tag: msg" has no host: what looked like one is the tag
        hostname, content = None, f"{hostname} {content}"
    app_name = procid = None
    tagged = _BSD_TAG.match(content)
    if tagged is not None:
        app_name, procid = tagged["tag"], tagged["pid"]
        content = content[tagged.end() :]
    if not content:
        raise Garbled("empty", "no message content")
    return SyslogMessage(
        facility=pri >> 3,
        severity=pri & 7,
        timestamp=timestamp,
        hostname=hostname,
        app_name=app_name,
        procid=procid,
        msgid=None,
        message=content,
        protocol="rfc3164",
    )


def _bsd_time(header: re.Match[bytes], received_at: datetime) -> datetime | None:
    """``Mmm dd hh:mm:ss`` has no year and no zone: the zone is taken as UTC, the year as the
    one that puts the moment nearest to its arrival (a December line read in January)."""
    month = _MONTHS.get(header["month"].decode())
    if month is None:
        return None
    hour, minute, second = (int(part) for part in header["time"].split(b":"))
    candidates = []
    for year in (received_at.year - 1, received_at.year, received_at.year + 1):
        try:
            candidates.append(
                datetime(year, month, int(header["day"]), hour, minute, second, tzinfo=UTC)
            )
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda moment: abs(moment - received_at))
