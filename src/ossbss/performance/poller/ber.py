"""A small BER codec for SNMP v1/v2c messages (RFC 3416 PDUs, RFC 2578 types).

Hand-written because pyasn1 (behind pysnmp) decodes about 500 messages/s here, far below
what polling thousands of counters per second needs (docs/adr/0030). It covers exactly what a
poller and an agent simulator exchange: the message header, the GET/GETNEXT/GETBULK/RESPONSE
PDUs and the varbind value types. Anything else, or anything malformed, raises ``BerError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

# Universal and SNMP application tags (RFC 2578 section 7.1, RFC 3416 section 3).
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
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

GET = 0xA0
GET_NEXT = 0xA1
RESPONSE = 0xA2
SET = 0xA3
GET_BULK = 0xA5
PDU_TYPES = frozenset({GET, GET_NEXT, RESPONSE, SET, GET_BULK, 0xA6, 0xA7, 0xA8})

VERSION_1 = 0
VERSION_2C = 1

# Error statuses (RFC 3416 section 3) the poller tells apart.
NO_ERROR = 0
TOO_BIG = 1

_UNSIGNED = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64})
_EXCEPTIONS = frozenset({NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW})
_STRINGS = frozenset({OCTET_STRING, IP_ADDRESS, OPAQUE})
_MAX_INTEGER_OCTETS = 9  # Counter64 with a leading zero

Oid = tuple[int, ...]
Value = int | bytes | Oid | None


class BerError(ValueError):
    """The bytes are not a well-formed SNMP message this codec understands."""


class VarBind(NamedTuple):
    oid: Oid
    tag: int  # one of the value tags above
    value: Value  # int for numbers, bytes for strings and addresses, Oid, None for exceptions


@dataclass(frozen=True, slots=True)
class Message:
    """One SNMP v1/v2c message. For GETBULK, ``error_status`` is non-repeaters and
    ``error_index`` max-repetitions (the same PDU fields, RFC 3416 section 4.2.3)."""

    community: bytes
    pdu_type: int
    request_id: int
    varbinds: tuple[VarBind, ...]
    error_status: int = 0
    error_index: int = 0
    version: int = VERSION_2C


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1.2.1.1.3.0"`` (a leading dot allowed) -> a tuple of arcs."""
    try:
        arcs = tuple(int(part) for part in text.strip().lstrip(".").split("."))
    except ValueError as exc:
        raise BerError(f"not a numeric OID: {text!r}") from exc
    if len(arcs) < 2 or any(arc < 0 for arc in arcs):
        raise BerError(f"not a numeric OID: {text!r}")
    return arcs


def format_oid(oid: Oid) -> str:
    return ".".join(map(str, oid))


# -- encoding ----------------------------------------------------------------------------------


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes((size,))
    body = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes((tag, size)) + body
    return bytes((tag,)) + _length(size) + body


def _integer_body(value: int) -> bytes:
    # Minimal two's complement; a non-negative value whose top bit is set gets a leading zero.
    octets = ((value if value >= 0 else ~value).bit_length() + 8) // 8
    return value.to_bytes(octets, "big", signed=True)


@lru_cache(maxsize=65536)
def encode_oid(oid: Oid) -> bytes:
    """The complete OID TLV (cached: pollers and agents repeat the same OIDs)."""
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise BerError(f"not an encodable OID: {format_oid(oid)}")
    body = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0:
            raise BerError(f"not an encodable OID: {format_oid(oid)}")
        if arc < 0x80:
            body.append(arc)
            continue
        chunk = bytearray()
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        chunk[0] &= 0x7F
        chunk.reverse()
        body += chunk
    return _tlv(OBJECT_IDENTIFIER, bytes(body))


def encode_value(tag: int, value: Value) -> bytes:
    if tag in _EXCEPTIONS:
        return bytes((tag, 0))
    if tag == INTEGER or tag in _UNSIGNED:
        if not isinstance(value, int):
            raise BerError(f"tag {tag:#x} needs an int, not {type(value).__name__}")
        if tag in _UNSIGNED and value < 0:
            raise BerError(f"tag {tag:#x} is unsigned: {value}")
        return _tlv(tag, _integer_body(value))
    if tag in _STRINGS:
        if not isinstance(value, bytes):
            raise BerError(f"tag {tag:#x} needs bytes, not {type(value).__name__}")
        return _tlv(tag, value)
    if tag == OBJECT_IDENTIFIER:
        if not isinstance(value, tuple):
            raise BerError("an OID value needs a tuple of arcs")
        return encode_oid(value)
    raise BerError(f"unsupported value tag {tag:#x}")


def encode_varbinds(varbinds: tuple[VarBind, ...] | list[VarBind]) -> bytes:
    return _tlv(
        SEQUENCE,
        b"".join(
            _tlv(SEQUENCE, encode_oid(oid) + encode_value(tag, value))
            for oid, tag, value in varbinds
        ),
    )


def encode_message(message: Message) -> bytes:
    pdu = _tlv(
        message.pdu_type,
        _tlv(INTEGER, _integer_body(message.request_id))
        + _tlv(INTEGER, _integer_body(message.error_status))
        + _tlv(INTEGER, _integer_body(message.error_index))
        + encode_varbinds(message.varbinds),
    )
    header = _tlv(INTEGER, _integer_body(message.version)) + _tlv(OCTET_STRING, message.community)
    return _tlv(SEQUENCE, header + pdu)


def request(
    pdu_type: int,
    *,
    community: bytes,
    request_id: int,
    oids: tuple[Oid, ...] | list[Oid],
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A GET / GETNEXT / GETBULK request with NULL values."""
    return encode_message(
        Message(
            community=community,
            pdu_type=pdu_type,
            request_id=request_id,
            varbinds=tuple(VarBind(oid, NULL, None) for oid in oids),
            error_status=non_repeaters,
            error_index=max_repetitions,
        )
    )


# -- decoding ----------------------------------------------------------------------------------


def _header(data: bytes, at: int, end: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the TLV at ``at``, inside ``end``."""
    if at + 2 > end:
        raise BerError("truncated TLV")
    tag = data[at]
    size = data[at + 1]
    at += 2
    if size & 0x80:
        count = size & 0x7F
        if count == 0 or count > 4:
            raise BerError("unsupported length form")
        if at + count > end:
            raise BerError("truncated length")
        size = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + size > end:
        raise BerError("content beyond its container")
    return tag, at, at + size


def _expect(data: bytes, at: int, end: int, tag: int) -> tuple[int, int]:
    found, start, stop = _header(data, at, end)
    if found != tag:
        raise BerError(f"expected tag {tag:#x}, found {found:#x}")
    return start, stop


def _integer(data: bytes, at: int, end: int, *, signed: bool = True) -> tuple[int, int]:
    start, stop = _expect(data, at, end, INTEGER)
    return _integer_content(data, start, stop, signed=signed), stop


def _integer_content(data: bytes, start: int, stop: int, *, signed: bool) -> int:
    if stop == start or stop - start > _MAX_INTEGER_OCTETS:
        raise BerError("bad integer length")
    return int.from_bytes(data[start:stop], "big", signed=signed)


@lru_cache(maxsize=131072)
def decode_oid_content(content: bytes) -> Oid:
    """Arcs of an encoded OID (cached: a poller sees the same few thousand OIDs every cycle)."""
    if not content:
        raise BerError("empty OID")
    arcs: list[int] = []
    arc = 0
    for octet in content:
        arc = (arc << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(arc)
            arc = 0
    if content[-1] & 0x80:
        raise BerError("OID ends inside an arc")
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return head + tuple(arcs[1:])


def _value(data: bytes, tag: int, start: int, stop: int) -> Value:
    if tag in _UNSIGNED:
        return _integer_content(data, start, stop, signed=False)
    if tag == INTEGER:
        return _integer_content(data, start, stop, signed=True)
    if tag in _STRINGS:
        return data[start:stop]
    if tag == OBJECT_IDENTIFIER:
        return decode_oid_content(data[start:stop])
    if tag in _EXCEPTIONS:
        return None
    raise BerError(f"unsupported value tag {tag:#x}")


def decode_message(data: bytes) -> Message:
    """Decode one SNMP v1/v2c message; ``BerError`` for anything else."""
    end = len(data)
    start, stop = _expect(data, 0, end, SEQUENCE)
    if stop != end:
        raise BerError("trailing bytes after the message")
    version, at = _integer(data, start, stop)
    if version not in (VERSION_1, VERSION_2C):
        raise BerError(f"unsupported SNMP version {version}")
    cstart, at = _expect(data, at, stop, OCTET_STRING)
    community = data[cstart:at]
    pdu_type, at, pdu_end = _header(data, at, stop)
    if pdu_type not in PDU_TYPES:
        raise BerError(f"unsupported PDU type {pdu_type:#x}")
    if pdu_end != stop:
        raise BerError("trailing bytes after the PDU")
    request_id, at = _integer(data, at, pdu_end)
    error_status, at = _integer(data, at, pdu_end)
    error_index, at = _integer(data, at, pdu_end)
    at, list_end = _expect(data, at, pdu_end, SEQUENCE)
    if list_end != pdu_end:
        raise BerError("trailing bytes after the varbinds")
    varbinds: list[VarBind] = []
    while at < list_end:
        vstart, vend = _expect(data, at, list_end, SEQUENCE)
        ostart, ostop = _expect(data, vstart, vend, OBJECT_IDENTIFIER)
        tag, value_start, value_stop = _header(data, ostop, vend)
        if value_stop != vend:
            raise BerError("trailing bytes in a varbind")
        oid = decode_oid_content(data[ostart:ostop])
        varbinds.append(VarBind(oid, tag, _value(data, tag, value_start, value_stop)))
        at = vend
    return Message(
        community=community,
        pdu_type=pdu_type,
        request_id=request_id,
        varbinds=tuple(varbinds),
        error_status=error_status,
        error_index=error_index,
        version=version,
    )
