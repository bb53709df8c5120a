"""``ossbss lab up|down|status``: the real network peers on loopback, for demos and by hand.

``up`` starts every peer in ``PEER_STARTERS`` on free 127.0.0.1 ports against the configured
database and records each one (pid, ports, log) as ``var/lab/peers/<name>.json``; ``down``
stops them by those pids. A new peer (netconfd behind OpenSSH, ...) is one more starter.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ossbss import bootstrap
from ossbss.kernel import Settings
from ossbss.lab.peers import PeerError, RunningPeer, free_port, log_tail, stop_pid
from ossbss.lab.radius import AccountingForward, start_freeradius

lab_app = typer.Typer(no_args_is_help=True, help="The lab: real network peers on 127.0.0.1.")
console = Console()


@dataclass(frozen=True)
class LabContext:
    """What every starter gets: where to put its files, which database, the shared secrets."""

    settings: Settings
    workdir: Path
    radius_secret: str
    coa_secret: str
    started: dict[str, RunningPeer]  # peers already up, by name (a later peer may need one)
    netconf_port: int = 18830


PeerStarter = Callable[[LabContext], RunningPeer]

# Peers this process started: stopping them through their Popen also reaps them.
_DETACHED: list[subprocess.Popen[bytes]] = []


def _freeradius(context: LabContext) -> RunningPeer:
    # FreeRADIUS reads the provisioning room's tables: the schema must be there first.
    bootstrap.migrate(context.settings.database_url)
    settings = context.settings
    # With ossbss's accounting collector on (OSSBSS_RADIUS_ACCT_ENABLED), FreeRADIUS forwards
    # the NAS's accounting to it: the lab's usage then comes from the lab's sessions.
    forward = (
        AccountingForward(port=settings.radius_acct_port, secret=settings.radius_acct_secret)
        if settings.radius_acct_enabled
        else None
    )
    return start_freeradius(
        database_url=settings.database_url,
        workdir=context.workdir / "freeradius",
        auth_port=free_port(),
        acct_port=free_port(),
        secret=context.radius_secret,
        detach=True,
        forward_accounting=forward,
    )


@dataclass(frozen=True)
class _Detached:
    """A peer run as ``python -m <module>`` in its own session, ready once its log says so."""

    name: str
    command: list[str]
    workdir: Path
    ready: str  # text its log shows once it serves
    endpoints: dict[str, str]
    timeout: float = 30.0

    def start(self) -> RunningPeer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / f"{self.name}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", *self.command],
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise PeerError(f"{self.name} exited:\n{log_tail(log)}")
            if self.ready in log.read_text(errors="replace"):
                return RunningPeer(
                    name=self.name,
                    pid=process.pid,
                    workdir=self.workdir,
                    log=log,
                    endpoints=self.endpoints,
                    process=process,
                )
            time.sleep(0.05)
        stop_pid(process.pid, process=process)
        raise PeerError(f"{self.name} did not start:\n{log_tail(log)}")


def _nas_simulator(context: LabContext) -> RunningPeer:
    port = free_port()
    return _Detached(
        name="nas-simulator",
        command=["ossbss.lab.nas", "--port", str(port), "--secret", context.coa_secret],
        workdir=context.workdir / "nas",
        ready="CoA/Disconnect on",
        endpoints={"coa": f"127.0.0.1:{port}"},
    ).start()


def _netconf_device(context: LabContext) -> RunningPeer:
    """yuma123 netconfd behind OpenSSH; by default on the port the demo's OLT names (18830)."""
    workdir = context.workdir / "netconf"
    port = str(context.netconf_port)
    return _Detached(
        name="netconf-device",
        command=["ossbss.lab.netconf", "--workdir", str(workdir), "--port", port],
        workdir=workdir,
        ready="NETCONF device on",
        endpoints={"netconf": f"127.0.0.1:{port}"},
    ).start()


# In start order; ``down`` stops them in reverse.
PEER_STARTERS: list[tuple[str, PeerStarter]] = [
    ("freeradius", _freeradius),
    ("nas-simulator", _nas_simulator),
    ("netconf-device", _netconf_device),
]


def _write_env(workdir: Path, started: dict[str, RunningPeer], coa_secret: str) -> Path:
    """Where the peers listen, as settings the platform reads (``var/lab/lab.env``)."""
    lines = [f"OSSBSS_RADIUS_COA_SECRET={coa_secret}"]
    nas = started.get("nas-simulator")
    if nas is not None:
        host, port = nas.endpoints["coa"].rsplit(":", 1)
        lines.append(f"OSSBSS_RADIUS_NAS_PORTS={host}={port}")
    device = started.get("netconf-device")
    if device is not None:
        lines.append(f"OSSBSS_NETCONF_KEY_FILE={device.workdir / 'client_key'}")
    path = workdir / "lab.env"
    path.write_text("\n".join(lines) + "\n")
    return path


def _peers_dir(workdir: Path) -> Path:
    return workdir / "peers"


def _recorded(workdir: Path) -> dict[str, RunningPeer]:
    found: dict[str, RunningPeer] = {}
    directory = _peers_dir(workdir)
    if directory.is_dir():
        for path in sorted(directory.glob("*.json")):
            peer = RunningPeer.from_json(json.loads(path.read_text()))
            found[peer.name] = peer
    return found


def _secrets(workdir: Path) -> dict[str, str]:
    path = workdir / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    values = {"radius": secrets.token_hex(8), "coa": secrets.token_hex(8)}
    path.write_text(json.dumps(values, indent=2) + "\n")
    path.chmod(0o600)
    return values


def _show(peers: dict[str, RunningPeer], context: dict[str, str]) -> None:
    table = Table(title="lab peers (127.0.0.1)")
    for column in ("peer", "pid", "endpoints", "log"):
        table.add_column(column)
    for peer in peers.values():
        state = "" if peer.same_process() else " (not running)"
        endpoints = ", ".join(f"{k} {v}" for k, v in peer.endpoints.items())
        table.add_row(peer.name, f"{peer.pid}{state}", endpoints, str(peer.log))
    console.print(table)
    for key, value in context.items():
        console.print(f"{key}: {value}", highlight=False, soft_wrap=True)


WorkdirOption = Annotated[Path, typer.Option("--dir", help="where the lab keeps its files")]


@lab_app.command("up")
def lab_up(
    workdir: WorkdirOption = Path("var/lab"),
    netconf_port: Annotated[
        int, typer.Option(help="the NETCONF device's port (the demo's OLT uses 18830)")
    ] = 18830,
) -> None:
    """Start FreeRADIUS (on the configured database) and the NAS simulator on loopback."""
    settings = Settings()
    workdir = workdir.resolve()
    _peers_dir(workdir).mkdir(parents=True, exist_ok=True)
    keys = _secrets(workdir)
    started = {name: peer for name, peer in _recorded(workdir).items() if peer.same_process()}
    context = LabContext(settings, workdir, keys["radius"], keys["coa"], started, netconf_port)
    for name, starter in PEER_STARTERS:
        if name in started:
            continue
        try:
            peer = starter(context)
        except PeerError as exc:
            console.print(f"[red]{name} did not start:[/red]\n{exc}", highlight=False)
            raise typer.Exit(code=1) from None
        if peer.process is not None:
            _DETACHED.append(peer.process)
        peer.save(_peers_dir(workdir) / f"{name}.json")
        started[name] = peer
    env = _write_env(workdir, started, keys["coa"])
    _show(
        started,
        {
            "database": settings.database_url,
            "RADIUS secret (auth/acct)": keys["radius"],
            "CoA secret": keys["coa"],
            "try": _try_line(started, keys["radius"]),
            "settings for the platform": str(env),
            "stop with": "ossbss lab down",
        },
    )


def _try_line(started: dict[str, RunningPeer], secret: str) -> str:
    auth = started.get("freeradius")
    if auth is None:
        return ""
    return (
        'echo \'User-Name = "<username>", User-Password = "<password>"\' | '
        f"radclient -x {auth.endpoints['auth']} auth {secret}"
        "  (subscribers come from the radius driver)"
    )


@lab_app.command("down")
def lab_down(workdir: WorkdirOption = Path("var/lab")) -> None:
    """Stop the peers ``lab up`` started (by their recorded pids)."""
    workdir = workdir.resolve()
    peers = _recorded(workdir)
    if not peers:
        console.print("no lab peers recorded")
        return
    order = [name for name, _ in reversed(PEER_STARTERS)]
    for name in sorted(peers, key=lambda n: order.index(n) if n in order else -1):
        peer = peers[name]
        if peer.same_process():
            own = next((p for p in _DETACHED if p.pid == peer.pid), None)
            stop_pid(peer.pid, process=own)
            console.print(f"stopped {name} (pid {peer.pid})")
        else:
            console.print(f"{name} (pid {peer.pid}) was not running")
        (_peers_dir(workdir) / f"{name}.json").unlink(missing_ok=True)


@lab_app.command("status")
def lab_status(workdir: WorkdirOption = Path("var/lab")) -> None:
    """Show the recorded peers and whether they still run."""
    _show(_recorded(workdir.resolve()), {})
