"""A real Prometheus Alertmanager on loopback (Debian's prometheus-alertmanager), with a
webhook receiver pointing at us: for the Alertmanager tests and the HTTP alarm benchmark.

No gossip port (``--cluster.listen-address=`` empty, oss-peers.md G8), storage in ``workdir``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from ossbss.lab.peers import PeerError, RunningPeer, free_port, log_tail, stop_pid

BINARY = "prometheus-alertmanager"


def available() -> bool:
    return shutil.which(BINARY) is not None


def start_alertmanager(
    *,
    workdir: Path,
    webhook_url: str,
    bearer: str | None = None,
    port: int | None = None,
    group_wait: str = "100ms",
    group_interval: str = "200ms",
    group_by: str = "[alertname, instance]",
    timeout: float = 20.0,
) -> RunningPeer:
    """Start it and wait until it answers ``/-/ready``; its URL is ``endpoints["http"]``."""
    port = port or free_port(kind=1)  # SOCK_STREAM
    workdir.mkdir(parents=True, exist_ok=True)
    authorization = (
        f"\n      http_config: {{authorization: {{type: Bearer, credentials: '{bearer}'}}}}"
        if bearer
        else ""
    )
    config = workdir / "alertmanager.yml"
    config.write_text(
        "route:\n"
        f"  receiver: ossbss\n  group_by: {group_by}\n"
        f"  group_wait: {group_wait}\n  group_interval: {group_interval}\n"
        "  repeat_interval: 1h\n"
        "receivers:\n"
        "  - name: ossbss\n"
        "    webhook_configs:\n"
        f"    - url: '{webhook_url}'\n"
        f"      send_resolved: true{authorization}\n"
    )
    log = workdir / "alertmanager.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                BINARY,
                f"--config.file={config}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    peer = RunningPeer(
        name="alertmanager",
        pid=process.pid,
        workdir=workdir,
        log=log,
        endpoints={"http": url},
        process=process,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PeerError(f"alertmanager exited:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                if answer.status == 200:
                    return peer
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    stop_pid(process.pid, process=process)
    raise PeerError(f"alertmanager not ready in {timeout}s:\n{log_tail(log)}")
