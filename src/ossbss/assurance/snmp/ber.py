"""A minimal, fast BER decoder for the SNMP messages a trap receiver sees in bulk: v1 Trap-PDUs
and v2c SNMPv2-Trap / InformRequest PDUs (RFC 1157, RFC 3416), and the encoder of the one
answer it gives (the Response to an INFORM).

pyasn1 (pysnmp's codec) decodes about 500 messages/s here, 25 times slower than this; it stays
for SNMPv3 (``v3.py``), whose messages need USM anyway. Only what a notification needs is
understood: anything else is a ``BerError`` (the listener counts it as "malformed").

Every decoding failure, whatever the input, is a ``BerError``; nothing else escapes (the
property is fuzzed in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

# Universal and SNMP application tags.
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
# PDU tags (context-specific, constructed).
RESPONSE = 0xA2
TRAP_V1 = 0xA4
INFORM = 0xA6
TRAP_V2 = 0xA7
NOTIFICATIONS = (TRAP_V1, INFORM, TRAP_V2)

VERSION_1, VERSION_2C, VERSION_3 = 0, 1, 3

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"  # SNMP-COMMUNITY-MIB: the original agent (proxies)
SNMP_TRAP_ENTERPRISE = "1.3.6.1.6.3.1.1.4.3.0"
# RFC 3584 section 3.1: generic-trap n (0..5) becomes snmpTraps.(n + 1).
SNMP_TRAPS = "1.3.6.1.6.3.1.1.5"
ENTERPRISE_SPECIFIC = 6

# A varbind value: integers (INTEGER, counters, gauges, TimeTicks), bytes (OCTET STRING,
# Opaque), a dotted string (OID; an IpAddress as "a.b.c.d"), or None (NULL and the
# noSuchObject / noSuchInstance / endOfMibView exceptions).
Value = int | bytes | str | None


class BerError(ValueError):
    """The datagram is not a well-formed SNMP notification we understand."""


@dataclass(frozen=True, slots=True)
class Notification:
    """A decoded v1/v2c notification, v1 already translated to the v2 form (RFC 3584)."""

    version: int  # 0 = v1, 1 = v2c
    community: bytes
    pdu_type: int  # TRAP_V1, TRAP_V2 or INFORM
    trap_oid: str
    uptime: int | None  # sysUpTime.0 (v1: time-stamp), hundredths of a second
    varbinds: tuple[tuple[str, Value], ...]  # without sysUpTime.0 and snmpTrapOID.0
    agent_address: str | None = None  # v1 agent-addr, or snmpTrapAddress.0 when present
    request_id: bytes = b""  # the INFORM's request-id TLV, echoed in the Response
    raw_varbinds: bytes = b""  # the INFORM's varbind list TLV, echoed in the Response

    @property
    def is_inform(self) -> bool:
        return self.pdu_type == INFORM


def message_version(data: bytes) -> int:
    """The msgVersion of an SNMP message (to route v3 elsewhere), or BerError."""
    tag, start, end = _tlv(data, 0, len(data))
    if tag != SEQUENCE:
        raise BerError("not a SEQUENCE")
    tag, vstart, vend = _tlv(data, start, end)
    if tag != INTEGER:
        raise BerError("no version")
    return _integer(data, vstart, vend)


def decode(data: bytes) -> Notification:
    """Decode a v1 or v2c trap or inform (BerError for anything else)."""
    try:
        return _decode(data)
    except BerError:
        raise
    except (IndexError, ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise BerError(f"malformed: {exc}") from None


def inform_response(notification: Notification) -> bytes:
    """The Response-PDU acknowledging an INFORM: same request-id and varbinds, no error."""
    pdu = _wrap(
        RESPONSE,
        notification.request_id + b"\x02\x01\x00\x02\x01\x00" + notification.raw_varbinds,
    )
    version = bytes((INTEGER, 1, notification.version))
    community = _wrap(OCTET_STRING, notification.community)
    return _wrap(SEQUENCE, version + community + pdu)


# -- internals ---------------------------------------------------------------------------------


def _decode(data: bytes) -> Notification:
    end = len(data)
    tag, start, mend = _tlv(data, 0, end)
    if tag != SEQUENCE or mend != end:
        raise BerError("not one SNMP message")
    tag, vstart, vend = _tlv(data, start, mend)
    if tag != INTEGER:
        raise BerError("no version")
    version = _integer(data, vstart, vend)
    if version not in (VERSION_1, VERSION_2C):
        raise BerError(f"version {version} is not v1 or v2c")
    tag, cstart, cend = _tlv(data, vend, mend)
    if tag != OCTET_STRING:
        raise BerError("no community")
    community = data[cstart:cend]
    pdu_type, pstart, pend = _tlv(data, cend, mend)
    if pend != mend:
        raise BerError("trailing bytes after the PDU")
    if version == VERSION_1 and pdu_type == TRAP_V1:
        return _trap_v1(data, pstart, pend, community)
    if version == VERSION_2C and pdu_type in (TRAP_V2, INFORM):
        return _trap_v2(data, pstart, pend, community, pdu_type)
    raise BerError(f"PDU 0x{pdu_type:02x} is not a notification of SNMP version {version}")


def _trap_v1(data: bytes, start: int, end: int, community: bytes) -> Notification:
    tag, s, e = _tlv(data, start, end)
    if tag != OBJECT_IDENTIFIER:
        raise BerError("v1 trap: no enterprise")
    enterprise = _oid(data, s, e)
    tag, s, e2 = _tlv(data, e, end)
    if tag != IP_ADDRESS or e2 - s != 4:
        raise BerError("v1 trap: no agent-addr")
    agent = ".".join(str(b) for b in data[s:e2])
    tag, s, e = _tlv(data, e2, end)
    if tag != INTEGER:
        raise BerError("v1 trap: no generic-trap")
    generic = _integer(data, s, e)
    tag, s, e2 = _tlv(data, e, end)
    if tag != INTEGER:
        raise BerError("v1 trap: no specific-trap")
    specific = _integer(data, s, e2)
    tag, s, e = _tlv(data, e2, end)
    if tag != TIMETICKS:
        raise BerError("v1 trap: no time-stamp")
    uptime = _unsigned(data, s, e)
    tag, s, vend = _tlv(data, e, end)
    if tag != SEQUENCE or vend != end:
        raise BerError("v1 trap: no varbind list")
    varbinds = _varbinds(data, s, vend)
    if 0 <= generic < ENTERPRISE_SPECIFIC:
        trap_oid = f"{SNMP_TRAPS}.{generic + 1}"
    elif generic == ENTERPRISE_SPECIFIC:
        trap_oid = f"{enterprise}.0.{specific}"
    else:
        raise BerError(f"v1 trap: generic-trap {generic}")
    return Notification(
        version=VERSION_1,
        community=community,
        pdu_type=TRAP_V1,
        trap_oid=trap_oid,
        uptime=uptime,
        varbinds=tuple(varbinds),
        agent_address=agent if agent != "0.0.0.0" else None,
    )


def _trap_v2(data: bytes, start: int, end: int, community: bytes, pdu_type: int) -> Notification:
    tag, s, rid_end = _tlv(data, start, end)
    if tag != INTEGER:
        raise BerError("no request-id")
    request_id = data[start:rid_end]
    tag, s, e = _tlv(data, rid_end, end)
    if tag != INTEGER:
        raise BerError("no error-status")
    tag, s, e = _tlv(data, e, end)
    if tag != INTEGER:
        raise BerError("no error-index")
    vstart = e
    tag, s, vend = _tlv(data, vstart, end)
    if tag != SEQUENCE or vend != end:
        raise BerError("no varbind list")
    varbinds = _varbinds(data, s, vend)
    # RFC 3416 4.2.6: sysUpTime.0 then snmpTrapOID.0 come first.
    if len(varbinds) < 2 or varbinds[0][0] != SYS_UPTIME or varbinds[1][0] != SNMP_TRAP_OID:
        raise BerError("the first varbinds are not sysUpTime.0 and snmpTrapOID.0")
    uptime, trap_oid = varbinds[0][1], varbinds[1][1]
    if not isinstance(trap_oid, str) or not isinstance(uptime, int):
        raise BerError("snmpTrapOID.0 is not an OID")
    rest = varbinds[2:]
    agent = next((v for o, v in rest if o == SNMP_TRAP_ADDRESS and isinstance(v, str)), None)
    return Notification(
        version=VERSION_2C,
        community=community,
        pdu_type=pdu_type,
        trap_oid=trap_oid,
        uptime=uptime,
        varbinds=tuple(rest),
        agent_address=agent,
        request_id=request_id if pdu_type == INFORM else b"",
        raw_varbinds=data[vstart:vend] if pdu_type == INFORM else b"",
    )


def _varbinds(data: bytes, start: int, end: int) -> list[tuple[str, Value]]:
    varbinds: list[tuple[str, Value]] = []
    cache = _VARBIND_CACHE
    pos = start
    while pos < end:
        tag, s, vb_end = _tlv(data, pos, end)
        if tag != SEQUENCE:
            raise BerError("a varbind is not a SEQUENCE")
        raw = data[s:vb_end]
        varbind = cache.get(raw)
        if varbind is None:
            varbind = _varbind(data, s, vb_end)
            if len(cache) >= _VARBIND_CACHE_LIMIT:
                cache.clear()
            cache[raw] = varbind
        varbinds.append(varbind)
        pos = vb_end
    return varbinds


def _varbind(data: bytes, start: int, end: int) -> tuple[str, Value]:
    tag, os_, oe = _tlv(data, start, end)
    if tag != OBJECT_IDENTIFIER:
        raise BerError("a varbind has no name")
    name = _oid(data, os_, oe)
    tag, s, e = _tlv(data, oe, end)
    if e != end:
        raise BerError("a varbind has trailing bytes")
    return name, _value(data, tag, s, e)


def _value(data: bytes, tag: int, start: int, end: int) -> Value:
    if tag == INTEGER:
        return _integer(data, start, end)
    if tag in (OCTET_STRING, OPAQUE):
        return data[start:end]
    if tag == OBJECT_IDENTIFIER:
        return _oid(data, start, end)
    if tag in (COUNTER32, GAUGE32, TIMETICKS, COUNTER64):
        return _unsigned(data, start, end)
    if tag == IP_ADDRESS:
        if end - start != 4:
            raise BerError("an IpAddress is 4 bytes")
        return ".".join(str(b) for b in data[start:end])
    if tag == NULL or tag in (0x80, 0x81, 0x82):  # noSuchObject, noSuchInstance, endOfMibView
        return None
    raise BerError(f"unknown value tag 0x{tag:02x}")


def _tlv(data: bytes, pos: int, limit: int) -> tuple[int, int, int]:
    """(tag, start of the content, end of the content) of the TLV at ``pos``."""
    if pos + 2 > limit:
        raise BerError("truncated")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise BerError("multi-byte tags are not used by SNMP")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        octets = length & 0x7F
        if octets == 0 or octets > 4 or pos + octets > limit:
            raise BerError("bad length")
        length = int.from_bytes(data[pos : pos + octets], "big")
        pos += octets
    end = pos + length
    if end > limit:
        raise BerError("truncated")
    return tag, pos, end


def _integer(data: bytes, start: int, end: int) -> int:
    if end == start or end - start > 9:
        raise BerError("bad INTEGER length")
    return int.from_bytes(data[start:end], "big", signed=True)


def _unsigned(data: bytes, start: int, end: int) -> int:
    if end == start or end - start > 9:
        raise BerError("bad unsigned length")
    return int.from_bytes(data[start:end], "big", signed=False)


# Traps repeat the same few OIDs and varbinds (a storm is the same linkDown again and again):
# their decoded forms are cached by encoding (bounded; values are immutable).
_OID_CACHE: dict[bytes, str] = {}
_OID_CACHE_LIMIT = 50_000
_VARBIND_CACHE: dict[bytes, tuple[str, Value]] = {}
_VARBIND_CACHE_LIMIT = 100_000


def _oid(data: bytes, start: int, end: int) -> str:
    raw = data[start:end]
    cached = _OID_CACHE.get(raw)
    if cached is not None:
        return cached
    if not raw or raw[-1] & 0x80 or len(raw) > 256:
        raise BerError("bad OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    dotted = ".".join(str(arc) for arc in head + arcs[1:])
    if len(_OID_CACHE) >= _OID_CACHE_LIMIT:
        _OID_CACHE.clear()
    _OID_CACHE[raw] = dotted
    return dotted


def _wrap(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets + content
