"""SNMPv3 notifications (USM authNoPriv / authPriv) through pysnmp 7's engine.

The listener owns the one UDP socket; v3 datagrams are handed to a pysnmp ``SnmpEngine``
whose UDP transport sends through that socket (Reports during engine discovery, the Response
to an INFORM). pysnmp checks the digest, decrypts, enforces the time window and answers
INFORMs; we read the notification it hands over, or, when it hands over nothing, its USM
statistics to say why (unknown user, wrong digest, decryption error ...).

Engine IDs (oss-peers G5): a TRAP is sent with the *sender's* engine ID as the authoritative
one, so each user is also localised for the sender engine IDs listed in its configuration; an
INFORM uses *ours* (snmpinform discovers it first), so each user is localised for our engine
ID too. Our engine ID must differ from every sender's.
"""

from __future__ import annotations

import asyncio
import tomllib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v2c

from ossbss.assurance.snmp.ber import SNMP_TRAP_OID, SYS_UPTIME, Value
from ossbss.kernel.errors import InvalidInput

AUTH_PROTOCOLS = {
    "MD5": config.USM_AUTH_HMAC96_MD5,
    "SHA": config.USM_AUTH_HMAC96_SHA,
    "SHA-224": config.USM_AUTH_HMAC128_SHA224,
    "SHA-256": config.USM_AUTH_HMAC192_SHA256,
    "SHA-384": config.USM_AUTH_HMAC256_SHA384,
    "SHA-512": config.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "NONE": config.USM_PRIV_NONE,
    "DES": config.USM_PRIV_CBC56_DES,
    "AES": config.USM_PRIV_CFB128_AES,
    "AES-192": config.USM_PRIV_CFB192_AES,
    "AES-256": config.USM_PRIV_CFB256_AES,
}
# USM statistics (SNMP-USER-BASED-SM-MIB) -> our refusal reason.
_USM_REASONS = (
    ("usmStatsUnknownUserNames", "v3_unknown_user"),
    ("usmStatsUnknownEngineIDs", "v3_unknown_engine"),
    ("usmStatsWrongDigests", "v3_bad_auth"),
    ("usmStatsDecryptionErrors", "v3_decrypt"),
    ("usmStatsNotInTimeWindows", "v3_time_window"),
    ("usmStatsUnsupportedSecLevels", "v3_security_level"),
)


@dataclass(frozen=True, slots=True)
class V3User:
    name: str
    auth_protocol: str  # a key of AUTH_PROTOCOLS
    auth_key: str
    priv_protocol: str = "AES"  # a key of PRIV_PROTOCOLS
    priv_key: str = ""
    engine_ids: tuple[str, ...] = ()  # the senders' engine IDs (hex) whose TRAPs we accept


@dataclass(frozen=True, slots=True)
class V3Notification:
    user: str
    is_inform: bool
    trap_oid: str
    uptime: int | None
    varbinds: tuple[tuple[str, Value], ...]  # without sysUpTime.0 and snmpTrapOID.0


def load_users(path: Path) -> list[V3User]:
    """Users from a TOML file: ``[[user]] name, auth_protocol, auth_key, priv_protocol,
    priv_key, engine_ids = ["0x80..."]``."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    return [_user(entry, str(path)) for entry in document.get("user") or ()]


def _user(entry: dict[str, Any], origin: str) -> V3User:
    user = V3User(
        name=str(entry.get("name") or ""),
        auth_protocol=str(entry.get("auth_protocol", "SHA")).upper(),
        auth_key=str(entry.get("auth_key") or ""),
        priv_protocol=str(entry.get("priv_protocol", "AES")).upper(),
        priv_key=str(entry.get("priv_key") or ""),
        engine_ids=tuple(str(e) for e in entry.get("engine_ids") or ()),
    )
    if not user.name or user.auth_protocol not in AUTH_PROTOCOLS:
        raise InvalidInput("Invalid SNMPv3 user", field=origin, detail=f"{user.name!r}")
    if user.priv_protocol not in PRIV_PROTOCOLS or len(user.auth_key) < 8:
        raise InvalidInput("Invalid SNMPv3 user", field=origin, detail=f"{user.name!r} keys")
    return user


class V3Receiver:
    """A pysnmp engine fed datagram by datagram (call ``attach`` inside the running loop)."""

    def __init__(self, users: Sequence[V3User], *, engine_id: str | None = None) -> None:
        self._users = tuple(users)
        self._engine_id = engine_id
        self._engine: engine.SnmpEngine | None = None
        self._transport: udp.UdpAsyncioTransport | None = None
        self._received: list[V3Notification] = []
        self._usm_stats: list[tuple[Any, str]] = []

    @property
    def engine_id(self) -> str:
        assert self._engine is not None
        return bytes(self._engine.snmpEngineID).hex()

    def attach(self, transport: asyncio.DatagramTransport) -> None:
        """Build the engine on the running loop; it answers through ``transport``."""
        with warnings.catch_warnings():
            # pysnmp reads its persisted engineBoots with an unclosed open() (a ResourceWarning)
            warnings.simplefilter("ignore", ResourceWarning)
            snmp_engine = (
                engine.SnmpEngine(snmpEngineID=v2c.OctetString(hexValue=_hex(self._engine_id)))
                if self._engine_id
                else engine.SnmpEngine()
            )
        carrier = udp.UdpAsyncioTransport()
        config.add_transport(snmp_engine, udp.DOMAIN_NAME, carrier)
        carrier.connection_made(transport)
        for user in self._users:
            for engine_id in (None, *user.engine_ids):
                config.add_v3_user(
                    snmp_engine,
                    user.name,
                    AUTH_PROTOCOLS[user.auth_protocol],
                    user.auth_key,
                    PRIV_PROTOCOLS[user.priv_protocol],
                    user.priv_key or None,
                    securityEngineId=(
                        v2c.OctetString(hexValue=_hex(engine_id)) if engine_id else None
                    ),
                )
        ntfrcv.NotificationReceiver(snmp_engine, self._on_notification)
        builder = snmp_engine.get_mib_builder()
        self._usm_stats = [
            (builder.import_symbols("__SNMP-USER-BASED-SM-MIB", symbol)[0], reason)
            for symbol, reason in _USM_REASONS
        ]
        self._engine, self._transport = snmp_engine, carrier

    def close(self) -> None:
        if self._engine is not None:
            self._engine.transport_dispatcher.unregister_recv_callback()
            self._engine = None

    def receive(self, data: bytes, address: tuple[str, int]) -> V3Notification | str:
        """The notification in this datagram, or why there is none (a refusal reason).

        Synchronous: pysnmp processes the message (and sends its Report or Response) within
        this call."""
        if self._engine is None or self._transport is None:
            return "v3_not_configured"
        before = [int(stat.syntax) for stat, _ in self._usm_stats]
        self._received.clear()
        try:
            self._engine.transport_dispatcher._callback_function(
                self._transport, udp.UdpTransportAddress(address), data
            )
        except Exception:  # pysnmp raises assorted errors on garbage: all are "malformed"
            return "malformed"
        if self._received:
            return self._received[0]
        for (stat, reason), count in zip(self._usm_stats, before, strict=True):
            if int(stat.syntax) != count:
                # An unknown engine ID is the discovery step of an INFORM: not a refusal.
                return "v3_discovery" if reason == "v3_unknown_engine" else reason
        return "v3_refused"

    def _on_notification(
        self,
        snmp_engine: engine.SnmpEngine,
        state_reference: Any,
        context_engine_id: Any,
        context_name: Any,
        varbinds: Sequence[tuple[Any, Any]],
        cb_ctx: Any,
    ) -> None:
        execution = snmp_engine.observer.get_execution_context("rfc3412.receiveMessage:request")
        pdu = execution.get("pdu")
        user = execution.get("securityName")
        converted = [(str(name), _value(value)) for name, value in varbinds]
        uptime = next((v for o, v in converted if o == SYS_UPTIME and isinstance(v, int)), None)
        trap_oid = next((v for o, v in converted if o == SNMP_TRAP_OID), None)
        if not isinstance(trap_oid, str):
            return
        self._received.append(
            V3Notification(
                user=str(user),
                is_inform=isinstance(pdu, v2c.InformRequestPDU),
                trap_oid=trap_oid,
                uptime=uptime,
                varbinds=tuple(
                    (o, v) for o, v in converted if o not in (SYS_UPTIME, SNMP_TRAP_OID)
                ),
            )
        )


def _value(value: Any) -> Value:
    if isinstance(value, rfc1902.ObjectName | v2c.ObjectIdentifier):
        return str(value)
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(b) for b in bytes(value))
    if isinstance(value, rfc1902.OctetString | rfc1902.Opaque):
        return bytes(value)
    if isinstance(value, rfc1902.Integer | rfc1902.Integer32 | rfc1902.Counter32):
        return int(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _hex(engine_id: str) -> str:
    return engine_id.removeprefix("0x").removeprefix("0X")
