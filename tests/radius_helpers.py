"""Test helpers for the RADIUS driver: the real radclient, read as an ``Element``."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field

from driver_contract import Observed
from ossbss.provisioning.drivers.radius import WALLED_GARDEN

RADCLIENT = shutil.which("radclient") or "/usr/bin/radclient"
SECRET = "lab-secret-7"
COA_SECRET = b"coa-secret-9"
_ATTRIBUTE = re.compile(r"^\s+([A-Za-z0-9-]+) = (.*)$")
_RATE = re.compile(r"^(\d+)k/(\d+)k$")


@dataclass(frozen=True)
class Answer:
    """What FreeRADIUS answered: ``Access-Accept``, ``Access-Reject``, ... and its attributes."""

    code: str
    attributes: Mapping[str, str] = field(default_factory=dict)


def radclient(port: int, secret: str, kind: str, attributes: Mapping[str, str]) -> Answer:
    """Send one request with the real ``radclient`` and parse what came back."""
    line = ", ".join(f"{name} = {value}" for name, value in attributes.items())
    done = subprocess.run(
        [RADCLIENT, "-x", "-t", "3", "-r", "2", f"127.0.0.1:{port}", kind, secret],
        input=line,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    code = ""
    answer: dict[str, str] = {}
    for text in done.stdout.splitlines():
        if text.startswith("Received "):
            code = text.split()[1]
            answer = {}
        elif code:
            match = _ATTRIBUTE.match(text)
            if match:
                answer[match.group(1)] = match.group(2).strip('"')
    if not code:
        raise AssertionError(f"radclient got no answer: {done.stdout}\n{done.stderr}")
    return Answer(code, answer)


def authenticate(port: int, secret: str, username: str, password: str) -> Answer:
    return radclient(
        port,
        secret,
        "auth",
        {
            "User-Name": f'"{username}"',
            "User-Password": f'"{password}"',
            "NAS-IP-Address": "127.0.0.1",
        },
    )


def username_for(service_id: str) -> str:
    return f"sub-{service_id}"


def password_for(service_id: str) -> str:
    return f"pw-{service_id[-6:]}"


def ipv4_for(service_id: str, salt: str = "") -> str:
    digest = hashlib.sha256((service_id + salt).encode()).digest()
    return f"10.{digest[0]}.{digest[1]}.{digest[2] % 250 + 2}"


def params_from(answer: Answer, username: str, password: str) -> dict[str, str]:
    """The driver's params as FreeRADIUS serves them in an Access-Accept."""
    params = {"username": username, "password": password}
    if "Framed-IP-Address" in answer.attributes:
        params["ipv4Address"] = answer.attributes["Framed-IP-Address"]
    if "Delegated-IPv6-Prefix" in answer.attributes:
        params["ipv6Prefix"] = answer.attributes["Delegated-IPv6-Prefix"]
    rate = _RATE.match(answer.attributes.get("Mikrotik-Rate-Limit", ""))
    if rate:
        params["rateUpKbps"], params["rateDownKbps"] = rate.group(1), rate.group(2)
    return params


class RadclientElement:
    """Observes a subscriber the way a NAS would: an Access-Request through FreeRADIUS."""

    def __init__(self, port: int, secret: str) -> None:
        self.port = port
        self.secret = secret

    def observe(self, service_id: str) -> Observed:
        username, password = username_for(service_id), password_for(service_id)
        answer = authenticate(self.port, self.secret, username, password)
        if answer.code != "Access-Accept":
            return Observed(present=False)
        suspended = answer.attributes.get("Filter-Id") == WALLED_GARDEN
        return Observed(
            present=True, suspended=suspended, params=params_from(answer, username, password)
        )
