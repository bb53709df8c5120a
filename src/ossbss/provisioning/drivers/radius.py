"""The RADIUS/AAA driver: subscribers in the tables FreeRADIUS reads, CoA for live sessions.

Spec ``radius-subscriber``. Params: ``username``, ``password``, ``ipv4Address``
(Framed-IP-Address), optional ``ipv6Prefix`` (Delegated-IPv6-Prefix), ``rateDownKbps`` and
``rateUpKbps`` (Mikrotik-Rate-Limit ``"<up>k/<down>k"`` and WISPr-Bandwidth-Max-Up/Down in
bit/s, so MikroTik and WISPr NASes both read the rate).

- add/modify write the rows in one short transaction; delete removes them (Access-Reject).
- suspend moves the subscriber into the walled garden (ADR 0007): the password still
  authenticates, the own reply rows go, and the ``walled-garden`` group answers with
  ``Filter-Id = "walled-garden"`` and a 256 kbit/s rate. resume restores the reply rows.
- Live sessions (RFC 5176): an open accounting session (``provisioning_radacct`` without a stop
  time) gets a CoA-Request with the new rate on a speed change, a Disconnect-Request on
  suspend, resume, delete and an address change (the subscriber logs in again and gets what
  the tables now say). A NAK or a NAS that does not answer fails the step and puts the rows
  back as they were.

The driver is stateless: the request's params are the truth; the rows carry the service id so
that removing one service never touches another service's rows.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyrad import client as pyrad_client  # type: ignore[import-untyped]
from pyrad import packet as pyrad_packet
from pyrad.dictionary import Dictionary  # type: ignore[import-untyped]
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ossbss.kernel.db import Database
from ossbss.provisioning.drivers.base import ActivationRequest, ActivationResult
from ossbss.provisioning.radius_tables import (
    RadAcct,
    RadCheck,
    RadGroupReply,
    RadReply,
    RadUserGroup,
)

SPEC = "radius-subscriber"
WALLED_GARDEN = "walled-garden"
WALLED_GARDEN_RATE_KBPS = 256
WALLED_GARDEN_REPLY: tuple[tuple[str, str, str], ...] = (
    ("Filter-Id", ":=", WALLED_GARDEN),
    ("Mikrotik-Rate-Limit", ":=", f"{WALLED_GARDEN_RATE_KBPS}k/{WALLED_GARDEN_RATE_KBPS}k"),
    ("WISPr-Bandwidth-Max-Up", ":=", str(WALLED_GARDEN_RATE_KBPS * 1000)),
    ("WISPr-Bandwidth-Max-Down", ":=", str(WALLED_GARDEN_RATE_KBPS * 1000)),
)

# rlm_sql's default safe_characters (minus the space): any other character in a User-Name is
# escaped in FreeRADIUS's query and would never match the row.
SAFE_USERNAME_CHARACTERS = frozenset(
    "@abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:/"
)

# RFC 5176 section 3.5 Error-Cause values.
ERROR_CAUSES: Mapping[int, str] = {
    201: "Residual-Session-Context-Removed",
    202: "Invalid-EAP-Packet",
    401: "Unsupported-Attribute",
    402: "Missing-Attribute",
    403: "NAS-Identification-Mismatch",
    404: "Invalid-Request",
    405: "Unsupported-Service",
    406: "Unsupported-Extension",
    407: "Invalid-Attribute-Value",
    501: "Administratively-Prohibited",
    502: "Request-Not-Routable",
    503: "Session-Context-Not-Found",
    504: "Session-Context-Not-Removable",
    505: "Other-Proxy-Processing-Error",
    506: "Resources-Unavailable",
    507: "Request-Initiated",
    508: "Multiple-Session-Selection-Unsupported",
}

# The attributes the platform sends and reads, in pyrad's dictionary format (FreeRADIUS's own
# dictionaries use syntax pyrad does not parse). Names and codes as in FreeRADIUS 3.2.
DICTIONARY = """
ATTRIBUTE User-Name 1 string
ATTRIBUTE User-Password 2 string encrypt=1
ATTRIBUTE NAS-IP-Address 4 ipaddr
ATTRIBUTE NAS-Port 5 integer
ATTRIBUTE Service-Type 6 integer
ATTRIBUTE Framed-IP-Address 8 ipaddr
ATTRIBUTE Filter-Id 11 string
ATTRIBUTE Reply-Message 18 string
ATTRIBUTE State 24 octets
ATTRIBUTE Class 25 octets
ATTRIBUTE Session-Timeout 27 integer
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
ATTRIBUTE Acct-Terminate-Cause 49 integer
ATTRIBUTE Event-Timestamp 55 date
ATTRIBUTE NAS-Port-Type 61 integer
ATTRIBUTE Message-Authenticator 80 octets
ATTRIBUTE NAS-Port-Id 87 string
ATTRIBUTE Framed-IPv6-Prefix 97 ipv6prefix
ATTRIBUTE Error-Cause 101 integer
ATTRIBUTE Delegated-IPv6-Prefix 123 ipv6prefix
VALUE Acct-Status-Type Start 1
VALUE Acct-Status-Type Stop 2
VALUE Acct-Status-Type Interim-Update 3
VENDOR Mikrotik 14988
BEGIN-VENDOR Mikrotik
ATTRIBUTE Mikrotik-Rate-Limit 8 string
END-VENDOR Mikrotik
VENDOR WISPr 14122
BEGIN-VENDOR WISPr
ATTRIBUTE WISPr-Bandwidth-Max-Up 7 integer
ATTRIBUTE WISPr-Bandwidth-Max-Down 8 integer
END-VENDOR WISPr
""" + "".join(f"VALUE Error-Cause {name} {code}\n" for code, name in ERROR_CAUSES.items())

_dictionary_lock = threading.Lock()
_dictionaries: dict[str, Any] = {}


def radius_dictionary(path: Path | None = None) -> Any:
    """pyrad's dictionary of the platform's attributes (or the file at ``path``), cached."""
    key = str(path) if path else ""
    with _dictionary_lock:
        if key not in _dictionaries:
            _dictionaries[key] = Dictionary(str(path) if path else io.StringIO(DICTIONARY))
        return _dictionaries[key]


def error_cause_name(value: object) -> tuple[str, str]:
    """``(code, "Name (code)")`` for an Error-Cause pyrad decoded as a name or a number."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        code = int(value)
        return str(code), f"{ERROR_CAUSES.get(code, 'Unknown')} ({code})"
    for code, name in ERROR_CAUSES.items():
        if name == value:
            return str(code), f"{name} ({code})"
    return "", str(value)


class RefusedError(Exception):
    """The subscriber's params are not something FreeRADIUS can serve."""


@dataclass(frozen=True)
class Subscriber:
    username: str
    password: str
    ipv4_address: str
    ipv6_prefix: str | None
    rate_down_kbps: int
    rate_up_kbps: int

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Subscriber:
        missing = [
            name
            for name in ("username", "password", "ipv4Address", "rateDownKbps", "rateUpKbps")
            if not params.get(name)
        ]
        if missing:
            raise RefusedError(f"missing parameter(s): {', '.join(missing)}")
        username = params["username"]
        if len(username) > 64 or not set(username) <= SAFE_USERNAME_CHARACTERS:
            raise RefusedError(
                f"username {username!r} must be 1 to 64 of letters, digits and @.-_: "
                "(FreeRADIUS's sql module escapes other characters, so it would never match)"
            )
        password = params["password"]
        if len(password) > 128 or not password.isprintable():
            raise RefusedError("password must be 1 to 128 printable characters")
        try:
            ipv4 = ipaddress.IPv4Address(params["ipv4Address"])
        except ValueError:
            raise RefusedError(
                f"ipv4Address {params['ipv4Address']!r} is not an IPv4 address"
            ) from None
        if ipv4.is_unspecified or ipv4.is_multicast:
            raise RefusedError(f"ipv4Address {ipv4} cannot be a subscriber's address")
        prefix: str | None = None
        if params.get("ipv6Prefix"):
            try:
                prefix = str(ipaddress.IPv6Network(params["ipv6Prefix"]))
            except ValueError:
                raise RefusedError(
                    f"ipv6Prefix {params['ipv6Prefix']!r} is not an IPv6 prefix"
                ) from None
        rates = []
        for name in ("rateDownKbps", "rateUpKbps"):
            try:
                rate = int(params[name])
            except ValueError:
                raise RefusedError(f"{name} {params[name]!r} is not a whole number") from None
            if not 0 < rate <= 100_000_000:
                raise RefusedError(f"{name} must be between 1 and 100000000 kbit/s")
            rates.append(rate)
        return cls(username, password, str(ipv4), prefix, rates[0], rates[1])

    def check_items(self) -> list[tuple[str, str, str]]:
        return [("Cleartext-Password", ":=", self.password)]

    def rate_items(self) -> list[tuple[str, str, str]]:
        return [
            ("Mikrotik-Rate-Limit", ":=", f"{self.rate_up_kbps}k/{self.rate_down_kbps}k"),
            ("WISPr-Bandwidth-Max-Up", ":=", str(self.rate_up_kbps * 1000)),
            ("WISPr-Bandwidth-Max-Down", ":=", str(self.rate_down_kbps * 1000)),
        ]

    def reply_items(self) -> list[tuple[str, str, str]]:
        items = [("Framed-IP-Address", ":=", self.ipv4_address)]
        if self.ipv6_prefix:
            items.append(("Delegated-IPv6-Prefix", ":=", self.ipv6_prefix))
        return items + self.rate_items()


@dataclass(frozen=True)
class _Snapshot:
    """Every row one service has, to put back when a NAS refuses the change."""

    check: tuple[tuple[str, str, str, str], ...]  # (username, attribute, op, value)
    reply: tuple[tuple[str, str, str, str], ...]
    groups: tuple[tuple[str, str, int], ...]  # (username, groupname, priority)


@dataclass(frozen=True)
class _Session:
    username: str
    acct_session_id: str
    nas: str
    framed_ip: str | None


@dataclass(frozen=True)
class _State:
    present: bool
    suspended: bool


class NasAnswer(Exception):
    """A NAS refused (NAK) or did not answer a CoA/Disconnect request."""

    def __init__(self, message: str, detail: Mapping[str, str]) -> None:
        super().__init__(message)
        self.message = message
        self.detail = dict(detail)


def _readdressed(previous: Mapping[str, str], subscriber: Subscriber) -> bool:
    if not previous:
        return False
    before_prefix = previous.get("ipv6Prefix") or None
    if before_prefix is not None:
        with contextlib.suppress(ValueError):
            before_prefix = str(ipaddress.IPv6Network(before_prefix))
    return (
        previous.get("username", subscriber.username) != subscriber.username
        or previous.get("ipv4Address", subscriber.ipv4_address) != subscriber.ipv4_address
        or (before_prefix is not None and before_prefix != subscriber.ipv6_prefix)
        or (before_prefix is None and subscriber.ipv6_prefix is not None)
    )


class RadiusDriver:
    """Provision subscribers for FreeRADIUS (rlm_sql on our tables) and talk CoA to NASes."""

    name = "radius"
    spec = SPEC

    def __init__(
        self,
        database: Database,
        *,
        coa_secret: bytes,
        coa_port: int = 3799,
        nas_ports: Mapping[str, int] | None = None,
        dictionary_path: Path | None = None,
        coa_timeout: float = 2.0,
        coa_retries: int = 2,
    ) -> None:
        self.database = database
        self.coa_secret = coa_secret
        self.coa_port = coa_port
        self.nas_ports = dict(nas_ports or {})
        self.dictionary = radius_dictionary(dictionary_path)
        self.coa_timeout = coa_timeout
        self.coa_retries = coa_retries

    # -- the protocol -----------------------------------------------------------------------

    def execute(self, request: ActivationRequest) -> ActivationResult:
        return self._apply(request.action, request.service_id, request.params, request.previous)

    def undo(self, request: ActivationRequest) -> ActivationResult:
        previous = request.previous or request.params
        if request.action == "add":
            return self._apply("delete", request.service_id, request.params, {}, undoing=True)
        if request.action == "modify":
            return self._apply("modify", request.service_id, previous, request.params, undoing=True)
        if request.action == "suspend":
            return self._apply("resume", request.service_id, previous, {}, undoing=True)
        if request.action == "resume":
            return self._apply("suspend", request.service_id, previous, {}, undoing=True)
        return self._apply("add", request.service_id, previous, {}, undoing=True)

    def close(self) -> None:
        return None

    # -- steps ------------------------------------------------------------------------------

    def _apply(
        self,
        action: str,
        service_id: str,
        params: Mapping[str, str],
        previous: Mapping[str, str],
        *,
        undoing: bool = False,
    ) -> ActivationResult:
        if action == "delete":
            return self._delete(service_id, params, previous)
        try:
            subscriber = Subscriber.from_params(params)
        except RefusedError as exc:
            return ActivationResult(ok=False, message=str(exc), detail={"reason": "invalid"})
        with self.database.unit_of_work() as session:
            state = self._state(session, service_id)
            if undoing and not state.present and action != "add":
                # Undo of a step that never took effect: nothing to put back.
                return ActivationResult(ok=True, message="nothing to undo")
            if action in ("suspend", "resume", "modify") and not state.present:
                return ActivationResult(
                    ok=False,
                    message=f"subscriber {subscriber.username} is not provisioned",
                    detail={"reason": "not-found"},
                )
            try:
                self._refuse_conflicts(session, service_id, subscriber)
            except RefusedError as exc:
                return ActivationResult(ok=False, message=str(exc), detail={"reason": "conflict"})
            before = self._snapshot(session, service_id)
            # The sessions of the username the rows have now (a modify may rename).
            usernames = sorted({row[0] for row in before.check} or {subscriber.username})
            sessions = [s for name in usernames for s in self._open_sessions(session, name)]
            if action == "add":
                suspended = False
            elif action == "suspend":
                suspended = True
            elif action == "resume":
                suspended = False
            else:  # modify keeps the suspension
                suspended = state.suspended
            self._remove_rows(session, service_id)
            self._write_rows(session, service_id, subscriber, suspended=suspended)
        if not sessions:
            return ActivationResult(ok=True, message=f"{action} {subscriber.username}")
        try:
            sent = self._tell_nas(action, state, suspended, subscriber, previous, sessions)
        except NasAnswer as exc:
            self._restore(service_id, before)
            return ActivationResult(ok=False, message=exc.message, detail=exc.detail)
        return ActivationResult(
            ok=True, message=f"{action} {subscriber.username}; {sent}", detail={"nas": sent}
        )

    def _delete(
        self, service_id: str, params: Mapping[str, str], previous: Mapping[str, str]
    ) -> ActivationResult:
        username = params.get("username") or previous.get("username") or ""
        with self.database.unit_of_work() as session:
            before = self._snapshot(session, service_id)
            if not before.check and not before.reply and not before.groups:
                return ActivationResult(ok=True, message=f"{username} is not provisioned")
            usernames = {row[0] for row in before.check} or {username}
            sessions = [s for name in sorted(usernames) for s in self._open_sessions(session, name)]
            self._remove_rows(session, service_id)
        try:
            sent = self._disconnect_all(sessions)
        except NasAnswer as exc:
            self._restore(service_id, before)
            return ActivationResult(ok=False, message=exc.message, detail=exc.detail)
        return ActivationResult(ok=True, message=f"delete {username}; {sent}".rstrip("; "))

    def _tell_nas(
        self,
        action: str,
        state: _State,
        suspended: bool,
        subscriber: Subscriber,
        previous: Mapping[str, str],
        sessions: Sequence[_Session],
    ) -> str:
        """What the live sessions need after the rows changed; returns what was sent."""
        if action == "add":
            return "no change for live sessions"
        if action == "modify":
            if suspended:
                return "suspended: the walled garden applies until resume"
            if _readdressed(previous, subscriber):
                # A NAS cannot renumber a live session: the subscriber logs in again.
                return self._disconnect_all(sessions)
            return self._coa_all(sessions, subscriber.rate_items())
        if state.suspended == suspended:
            return "already in that state"
        return self._disconnect_all(sessions)

    def _coa_all(self, sessions: Sequence[_Session], items: Sequence[tuple[str, str, str]]) -> str:
        for live in sessions:
            self._send(pyrad_packet.CoARequest, live, items)
        return f"CoA-Request to {len(sessions)} session(s)"

    def _disconnect_all(self, sessions: Sequence[_Session]) -> str:
        for live in sessions:
            self._send(pyrad_packet.DisconnectRequest, live, ())
        return f"Disconnect-Request to {len(sessions)} session(s)" if sessions else ""

    def _send(self, code: int, live: _Session, items: Sequence[tuple[str, str, str]]) -> None:
        kind = "CoA" if code == pyrad_packet.CoARequest else "Disconnect"
        port = self.nas_ports.get(live.nas, self.coa_port)
        client = pyrad_client.Client(
            server=live.nas,
            coaport=port,
            secret=self.coa_secret,
            dict=self.dictionary,
            retries=self.coa_retries,
            timeout=self.coa_timeout,
        )
        detail = {"nas": f"{live.nas}:{port}", "acctSessionId": live.acct_session_id}
        try:
            request = client.CreateCoAPacket(code=code)
            request["User-Name"] = live.username
            request["Acct-Session-Id"] = live.acct_session_id
            if live.framed_ip:
                request["Framed-IP-Address"] = live.framed_ip
            for attribute, _op, value in items:
                request[attribute] = int(value) if value.isdigit() else value
            reply = client.SendPacket(request)
        except pyrad_client.Timeout:
            raise NasAnswer(
                f"NAS did not answer the {kind}-Request ({live.nas}:{port}, "
                f"session {live.acct_session_id})",
                {**detail, "packet": f"{kind}-Request", "reason": "timeout"},
            ) from None
        except OSError as exc:
            raise NasAnswer(
                f"NAS did not answer the {kind}-Request ({live.nas}:{port}): {exc}",
                {**detail, "packet": f"{kind}-Request", "reason": "unreachable"},
            ) from None
        finally:
            client._CloseSocket()
        if reply.code in (pyrad_packet.CoAACK, pyrad_packet.DisconnectACK):
            return
        nak = f"{kind}-NAK"
        causes = reply.get("Error-Cause") or []
        code_text, cause = error_cause_name(causes[0]) if causes else ("", "no Error-Cause")
        raise NasAnswer(
            f"{nak} from NAS {live.nas}:{port} for session {live.acct_session_id}: {cause}",
            {**detail, "packet": nak, "errorCause": code_text, "errorCauseName": cause},
        )

    # -- rows -------------------------------------------------------------------------------

    def _state(self, session: Session, service_id: str) -> _State:
        present = session.scalar(
            select(RadCheck.id).where(RadCheck.service_id == service_id).limit(1)
        )
        suspended = session.scalar(
            select(RadUserGroup.id)
            .where(RadUserGroup.service_id == service_id, RadUserGroup.groupname == WALLED_GARDEN)
            .limit(1)
        )
        return _State(present=present is not None, suspended=suspended is not None)

    def _refuse_conflicts(self, session: Session, service_id: str, subscriber: Subscriber) -> None:
        owner = session.scalar(
            select(RadCheck.service_id)
            .where(RadCheck.username == subscriber.username, RadCheck.service_id != service_id)
            .limit(1)
        )
        if owner is not None:
            raise RefusedError(f"username {subscriber.username} belongs to service {owner}")
        holder = session.scalar(
            select(RadReply.username)
            .where(
                RadReply.attribute == "Framed-IP-Address",
                RadReply.value == subscriber.ipv4_address,
                RadReply.service_id != service_id,
            )
            .limit(1)
        )
        if holder is not None:
            raise RefusedError(f"ipv4Address {subscriber.ipv4_address} is assigned to {holder}")

    def _snapshot(self, session: Session, service_id: str) -> _Snapshot:
        check = session.execute(
            select(RadCheck.username, RadCheck.attribute, RadCheck.op, RadCheck.value)
            .where(RadCheck.service_id == service_id)
            .order_by(RadCheck.id)
        ).all()
        reply = session.execute(
            select(RadReply.username, RadReply.attribute, RadReply.op, RadReply.value)
            .where(RadReply.service_id == service_id)
            .order_by(RadReply.id)
        ).all()
        groups = session.execute(
            select(RadUserGroup.username, RadUserGroup.groupname, RadUserGroup.priority)
            .where(RadUserGroup.service_id == service_id)
            .order_by(RadUserGroup.id)
        ).all()
        return _Snapshot(
            check=tuple((r[0], r[1], r[2], r[3]) for r in check),
            reply=tuple((r[0], r[1], r[2], r[3]) for r in reply),
            groups=tuple((r[0], r[1], r[2]) for r in groups),
        )

    def _remove_rows(self, session: Session, service_id: str) -> None:
        session.execute(delete(RadCheck).where(RadCheck.service_id == service_id))
        session.execute(delete(RadReply).where(RadReply.service_id == service_id))
        session.execute(delete(RadUserGroup).where(RadUserGroup.service_id == service_id))

    def _write_rows(
        self, session: Session, service_id: str, subscriber: Subscriber, *, suspended: bool
    ) -> None:
        name = subscriber.username
        session.add_all(
            RadCheck(username=name, attribute=a, op=o, value=v, service_id=service_id)
            for a, o, v in subscriber.check_items()
        )
        if suspended:
            self._ensure_walled_garden(session)
            session.add(
                RadUserGroup(
                    username=name, groupname=WALLED_GARDEN, priority=0, service_id=service_id
                )
            )
            # FreeRADIUS reads groups only for users whose reply falls through (read_groups = no).
            session.add(
                RadReply(
                    username=name,
                    attribute="Fall-Through",
                    op=":=",
                    value="Yes",
                    service_id=service_id,
                )
            )
            return
        session.add_all(
            RadReply(username=name, attribute=a, op=o, value=v, service_id=service_id)
            for a, o, v in subscriber.reply_items()
        )

    def _ensure_walled_garden(self, session: Session) -> None:
        have = session.scalar(
            select(RadGroupReply.id).where(RadGroupReply.groupname == WALLED_GARDEN).limit(1)
        )
        if have is None:
            session.add_all(
                RadGroupReply(groupname=WALLED_GARDEN, attribute=a, op=o, value=v)
                for a, o, v in WALLED_GARDEN_REPLY
            )

    def _restore(self, service_id: str, snapshot: _Snapshot) -> None:
        with self.database.unit_of_work() as session:
            self._remove_rows(session, service_id)
            session.add_all(
                RadCheck(username=u, attribute=a, op=o, value=v, service_id=service_id)
                for u, a, o, v in snapshot.check
            )
            session.add_all(
                RadReply(username=u, attribute=a, op=o, value=v, service_id=service_id)
                for u, a, o, v in snapshot.reply
            )
            session.add_all(
                RadUserGroup(username=u, groupname=g, priority=p, service_id=service_id)
                for u, g, p in snapshot.groups
            )

    def _open_sessions(self, session: Session, username: str) -> list[_Session]:
        rows = session.execute(
            select(
                RadAcct.username,
                RadAcct.acctsessionid,
                RadAcct.nasipaddress,
                RadAcct.framedipaddress,
            )
            .where(RadAcct.username == username, RadAcct.acctstoptime.is_(None))
            .order_by(RadAcct.radacctid)
        ).all()
        return [_Session(r[0] or username, r[1], r[2], r[3]) for r in rows]
