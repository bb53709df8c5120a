"""What every lab peer shares: free loopback ports, a started process, stopping it by pid."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class PeerError(Exception):
    """A peer did not start (the message ends with the tail of its log)."""


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port nobody uses on 127.0.0.1 right now (UDP by default)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class RunningPeer:
    """A peer process on loopback: what it is, where it listens, where its files are."""

    name: str
    pid: int
    workdir: Path
    log: Path
    endpoints: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    # The command line at start, so a pid reused by another process is never stopped.
    cmdline: str = ""

    def __post_init__(self) -> None:
        if not self.cmdline:
            self.cmdline = read_cmdline(self.pid)

    def same_process(self) -> bool:
        return pid_alive(self.pid) and (not self.cmdline or read_cmdline(self.pid) == self.cmdline)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return pid_alive(self.pid)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the process by its pid: SIGTERM, then SIGKILL after ``timeout`` seconds."""
        stop_pid(self.pid, timeout=timeout, process=self.process)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "pid": self.pid,
            "workdir": str(self.workdir),
            "log": str(self.log),
            "endpoints": dict(self.endpoints),
            "cmdline": self.cmdline,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RunningPeer:
        endpoints = data.get("endpoints") or {}
        assert isinstance(endpoints, dict)
        return cls(
            name=str(data["name"]),
            pid=int(str(data["pid"])),
            workdir=Path(str(data["workdir"])),
            log=Path(str(data["log"])),
            endpoints={str(k): str(v) for k, v in endpoints.items()},
            cmdline=str(data.get("cmdline") or ""),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")


def read_cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours is gone for every purpose but the process table.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def stop_pid(
    pid: int, *, timeout: float = 5.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Stop one process by pid (never by name); a pid already gone is fine."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                return
        elif not pid_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if process is not None:
        process.wait(timeout=timeout)
