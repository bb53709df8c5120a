"""Accounting-Request in, Accounting-Response out (RFC 2866).

``decode`` never raises: a packet is either an ``AccountingEvent`` with its ready-made
response (sent only once the event is stored) or a ``Refusal`` with a reason for the counters.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pyrad import packet as pyrad_packet  # type: ignore[import-untyped]
from pyrad.dictionary import Dictionary  # type: ignore[import-untyped]

from ossbss.usage.accounting_rules import AccountingEvent, Status

# The attributes the collector reads, in pyrad's dictionary format (codes as in RFC 2865/2866
# and RFC 2869 for the gigawords). Our own: the provisioning room's dictionary is above us.
DICTIONARY = """
ATTRIBUTE User-Name 1 string
ATTRIBUTE NAS-IP-Address 4 ipaddr
ATTRIBUTE NAS-Port 5 integer
ATTRIBUTE Framed-IP-Address 8 ipaddr
ATTRIBUTE Class 25 octets
ATTRIBUTE Called-Station-Id 30 string
ATTRIBUTE Calling-Station-Id 31 string
ATTRIBUTE NAS-Identifier 32 string
ATTRIBUTE Proxy-State 33 octets
ATTRIBUTE Acct-Status-Type 40 integer
ATTRIBUTE Acct-Delay-Time 41 integer
ATTRIBUTE Acct-Input-Octets 42 integer
ATTRIBUTE Acct-Output-Octets 43 integer
ATTRIBUTE Acct-Session-Id 44 string
ATTRIBUTE Acct-Session-Time 46 integer
ATTRIBUTE Acct-Input-Packets 47 integer
ATTRIBUTE Acct-Output-Packets 48 integer
ATTRIBUTE Acct-Terminate-Cause 49 integer
ATTRIBUTE Acct-Input-Gigawords 52 integer
ATTRIBUTE Acct-Output-Gigawords 53 integer
ATTRIBUTE Event-Timestamp 55 date
ATTRIBUTE NAS-Port-Type 61 integer
ATTRIBUTE Message-Authenticator 80 octets
VALUE Acct-Status-Type Start 1
VALUE Acct-Status-Type Stop 2
VALUE Acct-Status-Type Interim-Update 3
VALUE Acct-Status-Type Accounting-On 7
VALUE Acct-Status-Type Accounting-Off 8
"""

USER_NAME, NAS_IP_ADDRESS, NAS_IDENTIFIER = 1, 4, 32
STATUS_TYPE, DELAY_TIME, INPUT_OCTETS, OUTPUT_OCTETS = 40, 41, 42, 43
SESSION_ID, SESSION_TIME, INPUT_GIGAWORDS, OUTPUT_GIGAWORDS = 44, 46, 52, 53
EVENT_TIMESTAMP, PROXY_STATE, MESSAGE_AUTHENTICATOR = 55, 33, 80
ZERO_AUTHENTICATOR = bytes(16)
MAX_LENGTH = 4096  # RFC 2865 section 3
# A NAS's Event-Timestamp is believed within this window around our clock; outside it the
# NAS clock is wrong and the receive time (minus Acct-Delay-Time) is the better guess.
TIMESTAMP_PAST = timedelta(days=30)
TIMESTAMP_FUTURE = timedelta(hours=1)

_dictionary: Any = None


def accounting_dictionary() -> Any:
    global _dictionary
    if _dictionary is None:
        _dictionary = Dictionary(io.StringIO(DICTIONARY))
    return _dictionary


@dataclass(frozen=True, slots=True)
class Received:
    """A verified Accounting-Request: the event (None for Status-Server) and its answer."""

    event: AccountingEvent | None
    response: bytes
    # Same source, identifier and authenticator: the very same packet sent again.
    retransmission_key: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    detail: str = ""


class _Bad(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def decode(
    data: bytes, source: tuple[str, int], *, secret: bytes, now: datetime
) -> Received | Refusal:
    """Accounting-Requests take the fast path below; anything else goes through pyrad."""
    if len(data) >= 20 and data[0] == pyrad_packet.AccountingRequest:
        try:
            return _decode_request(data, source, secret, now)
        except _Bad as bad:
            return Refusal(bad.reason, bad.detail)
    return _decode_other(data, source, secret)


def _decode_request(data: bytes, source: tuple[str, int], secret: bytes, now: datetime) -> Received:
    # RFC 2866 framing done here rather than by pyrad's Packet: at thousands of packets a
    # second pyrad's per-attribute bookkeeping was half of the collector's CPU (ADR 0013).
    length = int.from_bytes(data[2:4], "big")
    if length < 20 or length > len(data) or length > MAX_LENGTH:
        raise _Bad("malformed", f"length field {length}, {len(data)} octets received")
    data = data[:length]  # octets beyond Length are padding (RFC 2865 section 3)
    authenticator = data[4:20]
    expected = hashlib.md5(data[:4] + ZERO_AUTHENTICATOR + data[20:] + secret).digest()
    if not hmac.compare_digest(expected, authenticator):
        raise _Bad("bad_authenticator", "wrong shared secret?")
    attributes: dict[int, bytes] = {}
    proxy_states: list[bytes] = []
    position = 20
    while position < length:
        if position + 2 > length:
            raise _Bad("malformed", "truncated attribute header")
        code, size = data[position], data[position + 1]
        if size < 2 or position + size > length:
            raise _Bad("malformed", f"attribute {code} has length {size}")
        value = data[position + 2 : position + size]
        if code == PROXY_STATE:
            proxy_states.append(data[position : position + size])
        else:
            attributes.setdefault(code, value)  # the first one counts
        position += size
    if MESSAGE_AUTHENTICATOR in attributes and not _message_authenticator_ok(data, secret):
        raise _Bad("bad_authenticator", "Message-Authenticator")
    event = _event(attributes, source, now)
    return Received(event, _response(data, proxy_states, secret), (source, data[1], authenticator))


def _response(request: bytes, proxy_states: list[bytes], secret: bytes) -> bytes:
    """Accounting-Response: Proxy-States copied in order, Response Authenticator (RFC 2866 s. 3)."""
    body = b"".join(proxy_states)
    header = bytes((pyrad_packet.AccountingResponse, request[1])) + (20 + len(body)).to_bytes(
        2, "big"
    )
    digest = hashlib.md5(header + request[4:20] + body + secret).digest()
    return header + digest + body


def _message_authenticator_ok(data: bytes, secret: bytes) -> bool:
    packet = pyrad_packet.AcctPacket(packet=data, secret=secret, dict=accounting_dictionary())
    return bool(packet.verify_message_authenticator())


def _decode_other(data: bytes, source: tuple[str, int], secret: bytes) -> Received | Refusal:
    try:
        packet = pyrad_packet.AcctPacket(packet=data, secret=secret, dict=accounting_dictionary())
    except Exception as exc:  # pyrad raises PacketError, struct.error, KeyError, ...
        return Refusal("malformed", str(exc))
    if packet.code != pyrad_packet.StatusServer:
        return Refusal("unexpected_code", f"code {packet.code}")
    try:
        if not packet.VerifyAcctRequest():
            return Refusal("bad_authenticator", "Status-Server Message-Authenticator")
        reply = packet.CreateReply().ReplyPacket()
    except Exception as exc:
        return Refusal("malformed", str(exc))
    return Received(None, reply, (source, packet.id, packet.authenticator))


def _event(attributes: dict[int, bytes], source: tuple[str, int], now: datetime) -> AccountingEvent:
    status_value = _integer(attributes, STATUS_TYPE)
    if status_value is None:
        raise _Bad("missing_attribute", "Acct-Status-Type")
    try:
        status = Status(status_value)
    except ValueError:
        raise _Bad("unsupported_status_type", str(status_value)) from None
    nas = _text(attributes, NAS_IDENTIFIER) or _address(attributes, NAS_IP_ADDRESS) or source[0]
    session_id = _text(attributes, SESSION_ID)
    subscriber = _text(attributes, USER_NAME)
    if status in (Status.ACCOUNTING_ON, Status.ACCOUNTING_OFF):
        session_id, subscriber = session_id or "", subscriber or ""
    elif not session_id:
        raise _Bad("missing_attribute", "Acct-Session-Id")
    elif not subscriber:
        raise _Bad("missing_attribute", "User-Name")
    event_time, from_nas = _event_time(attributes, now)
    return AccountingEvent(
        nas=nas,
        session_id=session_id,
        subscriber=subscriber,
        status=status,
        event_time=event_time,
        nas_timestamp=from_nas,
        bytes_up=_counter(attributes, INPUT_OCTETS, INPUT_GIGAWORDS),
        bytes_down=_counter(attributes, OUTPUT_OCTETS, OUTPUT_GIGAWORDS),
        session_seconds=_integer(attributes, SESSION_TIME),
    )


def _event_time(packet: dict[int, bytes], now: datetime) -> tuple[datetime, bool]:
    stamp = _integer(packet, EVENT_TIMESTAMP)
    if stamp is not None:
        at = datetime.fromtimestamp(stamp, UTC)
        if now - TIMESTAMP_PAST <= at <= now + TIMESTAMP_FUTURE:
            return at, True
    delay = _integer(packet, DELAY_TIME) or 0
    return now - timedelta(seconds=min(delay, 86_400)), False


def _integer(packet: dict[int, bytes], code: int) -> int | None:
    raw = packet.get(code)
    if raw is None:
        return None
    if len(raw) != 4:
        raise _Bad("malformed", f"attribute {code} is {len(raw)} octets, not 4")
    return int.from_bytes(raw, "big")


def _counter(packet: dict[int, bytes], octets: int, gigawords: int) -> int | None:
    low = _integer(packet, octets)
    high = _integer(packet, gigawords)
    if low is None and high is None:
        return None
    return ((high or 0) << 32) | (low or 0)


def _text(packet: dict[int, bytes], code: int) -> str:
    raw = packet.get(code)
    if raw is None:
        return ""
    if len(raw) > 253:
        raise _Bad("malformed", f"attribute {code} too long")
    return raw.decode("utf-8", errors="replace").strip("\x00").strip()


def _address(packet: dict[int, bytes], code: int) -> str:
    raw = packet.get(code)
    if raw is None:
        return ""
    if len(raw) != 4:
        raise _Bad("malformed", "NAS-IP-Address is not 4 octets")
    return ".".join(str(octet) for octet in raw)
