"""A NAS simulator for the lab and the tests: answers RFC 5176 CoA and Disconnect requests.

It ACKs every CoA-Request and Disconnect-Request, except for usernames or Acct-Session-Ids it
was told to refuse: those get a NAK with the configured Error-Cause (and ``silent`` ones get
no answer at all, as a NAS that is down). It records what it received.

    python -m ossbss.lab.nas --port P --secret S [--nak USER_OR_SESSION=503] [--silent ID]
"""

from __future__ import annotations

import argparse
import select
import signal
import socket
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from pyrad import packet as pyrad_packet  # type: ignore[import-untyped]

from ossbss.provisioning.drivers.radius import radius_dictionary


@dataclass(frozen=True)
class Received:
    """One request the NAS got: ``kind`` is ``"CoA"`` or ``"Disconnect"``."""

    kind: str
    attributes: Mapping[str, tuple[str, ...]]
    answered: str  # CoA-ACK, CoA-NAK, Disconnect-ACK, Disconnect-NAK or "" (silent)

    def first(self, name: str) -> str | None:
        values = self.attributes.get(name)
        return values[0] if values else None


@dataclass
class NasSimulator:
    """A UDP CoA/Disconnect server on 127.0.0.1:``port`` (0 picks a free port)."""

    secret: bytes
    port: int = 0
    host: str = "127.0.0.1"
    naks: dict[str, int] = field(default_factory=dict)  # username or session id -> Error-Cause
    silent: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._dictionary = radius_dictionary()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind((self.host, self.port))
        self.port = self._socket.getsockname()[1]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- control ----------------------------------------------------------------------------

    def nak(self, key: str, error_cause: int) -> None:
        with self._lock:
            self.naks[key] = error_cause

    def forget(self) -> None:
        """Clear the recorded requests and every NAK/silence rule."""
        with self._lock:
            self.received.clear()
            self.naks.clear()
            self.silent.clear()

    def requests(self, kind: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if kind is None or r.kind == kind]

    def start(self) -> NasSimulator:
        self._thread = threading.Thread(target=self.serve, name="nas-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._socket.close()

    # -- the server -------------------------------------------------------------------------

    def serve(self) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([self._socket], [], [], 0.2)
            if not ready:
                continue
            try:
                data, source = self._socket.recvfrom(4096)
            except OSError:
                return
            reply = self._handle(data)
            if reply is not None:
                self._socket.sendto(reply, source)

    def _handle(self, data: bytes) -> bytes | None:
        try:
            request = pyrad_packet.CoAPacket(packet=data, secret=self.secret, dict=self._dictionary)
        except pyrad_packet.PacketError:
            return None
        if request.code not in (pyrad_packet.CoARequest, pyrad_packet.DisconnectRequest):
            return None
        if not request.VerifyCoARequest():
            return None
        kind = "CoA" if request.code == pyrad_packet.CoARequest else "Disconnect"
        attributes = _decode(request)
        keys = [*attributes.get("User-Name", ()), *attributes.get("Acct-Session-Id", ())]
        with self._lock:
            cause = next((self.naks[k] for k in keys if k in self.naks), None)
            silent = any(k in self.silent for k in keys)
            if silent:
                self.received.append(Received(kind, attributes, ""))
                return None
            reply = request.CreateReply()
            if cause is None:
                reply.code = pyrad_packet.CoAACK if kind == "CoA" else pyrad_packet.DisconnectACK
                answered = f"{kind}-ACK"
            else:
                reply.code = pyrad_packet.CoANAK if kind == "CoA" else pyrad_packet.DisconnectNAK
                reply["Error-Cause"] = cause
                answered = f"{kind}-NAK"
            self.received.append(Received(kind, attributes, answered))
        raw: bytes = reply.ReplyPacket()
        return raw


def _decode(request: Any) -> dict[str, tuple[str, ...]]:
    attributes: dict[str, tuple[str, ...]] = {}
    for key in request.keys():  # noqa: SIM118 (keys() decodes names; iterating gives codes)
        name = key if isinstance(key, str) else str(key)
        try:
            values = request[key]
        except KeyError:
            continue
        attributes[name] = tuple(str(v) for v in values)
    return attributes


def _parse_naks(values: list[str]) -> dict[str, int]:
    naks: dict[str, int] = {}
    for value in values:
        key, _, cause = value.rpartition("=")
        naks[key] = int(cause)
    return naks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ossbss.lab.nas", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--nak", action="append", default=[], metavar="USER_OR_SESSION=CAUSE")
    parser.add_argument("--silent", action="append", default=[], metavar="USER_OR_SESSION")
    args = parser.parse_args(argv)
    nas = NasSimulator(
        secret=args.secret.encode(),
        port=args.port,
        host=args.host,
        naks=_parse_naks(args.nak),
        silent=set(args.silent),
    )

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        nas._stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sys.stdout.write(f"nas simulator: CoA/Disconnect on {nas.host}:{nas.port}\n")
    sys.stdout.flush()
    nas.serve()
    nas._socket.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
