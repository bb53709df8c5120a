"""A real FreeRADIUS 3.2 on loopback that answers from the platform's own tables (rlm_sql).

``start_freeradius`` renders ``lab/freeradius`` into ``workdir/raddb`` for the database the
platform uses (SQLite file or PostgreSQL server), starts ``freeradius -f`` and waits until it
answers an Access-Request. Logs stay in ``workdir/log``; a failed start shows their tail.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pyrad import client as pyrad_client  # type: ignore[import-untyped]
from pyrad import packet as pyrad_packet
from sqlalchemy.engine import make_url

from ossbss.lab.peers import PeerError, RunningPeer, log_tail, stop_pid
from ossbss.provisioning.drivers.radius import radius_dictionary

TEMPLATES = Path(__file__).resolve().parents[3] / "lab" / "freeradius"
FREERADIUS = "freeradius"

_TIMESTAMP = {
    "sqlite": "datetime(${event_timestamp_epoch}, 'unixepoch')",
    "postgresql": "TO_TIMESTAMP(${event_timestamp_epoch})",
}


def freeradius_binary() -> str:
    found = shutil.which(FREERADIUS) or shutil.which("radiusd")
    if found:
        return found
    for candidate in ("/usr/sbin/freeradius", "/usr/sbin/radiusd"):
        if Path(candidate).exists():
            return candidate
    raise PeerError("freeradius is not installed (run `make lab-install`)")


def _sql_settings(database_url: str) -> dict[str, str]:
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise PeerError("FreeRADIUS needs a database file, not an in-memory SQLite")
        return {
            "DIALECT": "sqlite",
            "SQLITE_FILE": str(Path(url.database).resolve()),
            "SERVER_LINES": "",
            "RADIUS_DB": "radius",
        }
    if backend == "postgresql":
        lines = [
            f'server = "{url.host or "127.0.0.1"}"',
            f"port = {url.port or 5432}",
            f'login = "{url.username or ""}"',
            f'password = "{url.password or ""}"',
        ]
        return {
            "DIALECT": "postgresql",
            "SQLITE_FILE": "",
            "SERVER_LINES": "\n\t".join(lines),
            "RADIUS_DB": url.database or "",
        }
    raise PeerError(f"FreeRADIUS's sql module has no driver for {backend} here")


@dataclass(frozen=True, slots=True)
class AccountingForward:
    """Where FreeRADIUS forwards accounting: ossbss's collector (``ossbss usage radius-acct``)."""

    port: int
    secret: str


def _forwarding(forward: AccountingForward | None) -> dict[str, str]:
    if forward is None:
        return {
            "PROXY": "proxy_requests = no",
            "FORWARD": "",
            "FORWARD_PORT": "",
            "FORWARD_SECRET": "",
        }
    return {
        # The explicit proxy listener keeps FreeRADIUS from opening one on 0.0.0.0.
        "PROXY": "proxy_requests = yes\n$INCLUDE proxy.conf\n"
        "listen {\n\ttype = proxy\n\tipaddr = 127.0.0.1\n\tport = 0\n}",
        "FORWARD": '\t\tupdate control {\n\t\t\t&Proxy-To-Realm := "ossbss_usage"\n\t\t}',
        "FORWARD_PORT": str(forward.port),
        "FORWARD_SECRET": forward.secret.replace('"', '\\"'),
    }


def render_config(
    *,
    database_url: str,
    workdir: Path,
    auth_port: int,
    acct_port: int,
    secret: str,
    threads: int = 4,
    files_auth_port: int | None = None,
    users: str = "",
    templates: Path = TEMPLATES,
    forward_accounting: AccountingForward | None = None,
) -> Path:
    """Write the configuration into ``workdir/raddb`` and return that directory.
    ``forward_accounting`` proxies every Accounting-Request to ossbss's collector too."""
    raddb = workdir / "raddb"
    if raddb.exists():
        shutil.rmtree(raddb)
    for directory in ("log", "run"):
        (workdir / directory).mkdir(parents=True, exist_ok=True)
    sql = _sql_settings(database_url)
    values = {
        "WORKDIR": str(workdir.resolve()),
        "AUTH_PORT": str(auth_port),
        "ACCT_PORT": str(acct_port),
        "SECRET": secret.replace('"', '\\"'),
        "THREADS": str(threads),
        "TIMESTAMP": _TIMESTAMP[sql["DIALECT"]],
        "FILES_AUTH_PORT": str(files_auth_port or 0),
        **_forwarding(forward_accounting),
        **sql,
    }
    files = [
        "radiusd.conf",
        "clients.conf",
        "mods-enabled/pap",
        "mods-enabled/expr",
        "mods-enabled/sql",
        "sites-enabled/ossbss",
        "mods-config/sql/main/queries.conf",
    ]
    if forward_accounting:
        files.append("proxy.conf")
    targets = {name: name for name in files}
    if files_auth_port:
        targets["reference/files"] = "mods-enabled/files"
        targets["reference/site"] = "sites-enabled/reference"
    for source, target in targets.items():
        text = (templates / source).read_text()
        for key, value in values.items():
            text = text.replace(f"@@{key}@@", value)
        path = raddb / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    # FreeRADIUS reads a local dictionary from its config dir; ours adds nothing.
    (raddb / "dictionary").write_text("# ossbss lab: the Debian dictionaries are enough\n")
    if files_auth_port:
        files_dir = raddb / "mods-config" / "files"
        files_dir.mkdir(parents=True, exist_ok=True)
        (files_dir / "authorize").write_text(users)
        (files_dir / "accounting").write_text("")
        (files_dir / "pre-proxy").write_text("")
    return raddb


def probe(port: int, secret: str, *, timeout: float = 0.5) -> bool:
    """Does a RADIUS server answer an Access-Request on 127.0.0.1:``port``?"""
    client = pyrad_client.Client(
        server="127.0.0.1",
        authport=port,
        secret=secret.encode(),
        dict=radius_dictionary(),
        retries=1,
        timeout=timeout,
    )
    try:
        request = client.CreateAuthPacket(code=pyrad_packet.AccessRequest)
        request["User-Name"] = "ossbss-lab-probe"
        request["User-Password"] = request.PwCrypt("probe")
        client.SendPacket(request)
        return True
    except (pyrad_client.Timeout, OSError):
        return False
    finally:
        client._CloseSocket()


def start_freeradius(
    *,
    database_url: str,
    workdir: Path,
    auth_port: int,
    acct_port: int,
    secret: str,
    threads: int = 4,
    debug: bool = False,
    files_auth_port: int | None = None,
    users: str = "",
    detach: bool = False,
    timeout: float = 15.0,
    forward_accounting: AccountingForward | None = None,
) -> RunningPeer:
    """Start FreeRADIUS on 127.0.0.1:``auth_port``/``acct_port`` reading ``database_url``.

    ``files_auth_port`` adds a second virtual server answering from the ``files`` module with
    ``users`` (the benchmark's reference). ``debug`` runs ``-X`` (single-threaded, verbose
    log in ``workdir/log/freeradius.out``). ``detach`` puts it in its own session so it
    outlives the command that started it (``ossbss lab up``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    raddb = render_config(
        database_url=database_url,
        workdir=workdir,
        auth_port=auth_port,
        acct_port=acct_port,
        secret=secret,
        threads=threads,
        files_auth_port=files_auth_port,
        users=users,
        forward_accounting=forward_accounting,
    )
    output = workdir / "log" / "freeradius.out"
    command = [freeradius_binary(), "-d", str(raddb), "-n", "radiusd"]
    command += ["-X"] if debug else ["-f"]
    with output.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=detach,
        )
    endpoints = {"auth": f"127.0.0.1:{auth_port}", "acct": f"127.0.0.1:{acct_port}"}
    if files_auth_port:
        endpoints["files-auth"] = f"127.0.0.1:{files_auth_port}"
    peer = RunningPeer(
        name="freeradius",
        pid=process.pid,
        workdir=workdir,
        log=workdir / "log" / "radius.log",
        endpoints=endpoints,
        process=process,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PeerError(
                f"freeradius exited with {process.returncode}:\n"
                f"{log_tail(output)}\n{log_tail(peer.log)}"
            )
        if probe(auth_port, secret):
            return peer
        time.sleep(0.1)
    stop_pid(process.pid, process=process)
    raise PeerError(
        f"freeradius did not answer on 127.0.0.1:{auth_port} within {timeout:.0f} s:\n"
        f"{log_tail(output)}\n{log_tail(peer.log)}"
    )


def stop_freeradius(peer: RunningPeer) -> None:
    peer.stop()
