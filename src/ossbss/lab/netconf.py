"""A real NETCONF device for the lab and the tests: yuma123 netconfd behind OpenSSH on loopback.

``start_netconf_device(workdir=..., port=...)`` generates a host key and a client key, writes an
sshd configuration from ``lab/netconf/sshd_config.template``, starts netconfd with our YANG
module (``lab/netconf/ossbss-access.yang``, no SIL code) and sshd on the same port, and waits
until a NETCONF session can be opened. Each device has its own netconfd socket and yuma home
under ``workdir``, so several devices (tests, a benchmark, the lab) run side by side.

``python -m ossbss.lab.netconf --workdir DIR --port P`` runs one until it is killed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# lab/netconf/ in the project: the YANG module and the sshd configuration template.
LAB_NETCONF_DIR = Path(__file__).resolve().parents[3] / "lab" / "netconf"
MODULE = "ossbss-access"
NAMESPACE = "urn:ossbss:access"


class LabError(RuntimeError):
    """A lab peer could not be started."""


@dataclass
class NetconfDevice:
    host: str
    port: int
    username: str
    key_file: Path
    workdir: Path
    pids: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)

    @property
    def address(self) -> str:
        """``host:port``, as the NETCONF driver's ``deviceAddress`` parameter names it."""
        return f"{self.host}:{self.port}"


def _command(name: str) -> str:
    found = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if not found:
        raise LabError(f"{name} is not installed (scripts/install-lab.sh installs it)")
    return found


def _keygen(path: Path) -> None:
    if path.exists():
        return
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )


def _privilege_separation_dir(sshd: str, config: Path) -> None:
    """sshd refuses to start without its privilege-separation dir (Debian: /run/sshd)."""
    check = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True)
    if check.returncode == 0:
        return
    marker = "Missing privilege separation directory: "
    if marker in check.stderr:
        directory = Path(check.stderr.split(marker, 1)[1].strip())
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        check = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise LabError(f"sshd -t refused {config}: {check.stderr.strip()}")


def start_netconf_device(
    *, workdir: Path, port: int, host: str = "127.0.0.1", timeout: float = 20.0
) -> NetconfDevice:
    """Start netconfd + sshd on ``host:port`` with state under ``workdir``; return when ready."""
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    yang_dir = workdir / "yang"
    yang_dir.mkdir(exist_ok=True)
    shutil.copy(LAB_NETCONF_DIR / f"{MODULE}.yang", yang_dir / f"{MODULE}.yang")
    yuma_home = workdir / "yuma"
    for sub in (".yuma", "data"):  # --yuma-home: txid file and startup-cfg.xml go here
        (yuma_home / sub).mkdir(parents=True, exist_ok=True)
    _keygen(workdir / "hostkey")
    _keygen(workdir / "client_key")
    shutil.copy(workdir / "client_key.pub", workdir / "authorized_keys")
    socket_path = workdir / "ncxserver.sock"
    socket_path.unlink(missing_ok=True)
    netconfd, sshd = _command("netconfd"), _command("sshd")
    subsystem = f"{_command('netconf-subsystem')} --ncxserver-sockname={port}@{socket_path}"
    template = (LAB_NETCONF_DIR / "sshd_config.template").read_text()
    sshd_config = workdir / "sshd_config"
    sshd_config.write_text(
        template.format(host=host, port=port, workdir=workdir, netconf_subsystem=subsystem)
    )
    _privilege_separation_dir(sshd, sshd_config)

    device = NetconfDevice(
        host=host, port=port, username="root", key_file=workdir / "client_key", workdir=workdir
    )
    # netconfd writes running to <yuma home>/.yuma/startup-cfg.xml on every commit (by default
    # in the user's home directory, whatever $HOME says): keep it ours.
    env = {**os.environ, "HOME": str(yuma_home)}
    try:
        with (workdir / "netconfd.out").open("wb") as out:
            device.processes.append(
                subprocess.Popen(
                    [
                        netconfd,
                        "--no-startup",
                        f"--port={port}",
                        f"--modpath={yang_dir}",
                        f"--module={MODULE}",
                        "--superuser=root",
                        f"--ncxserver-sockname={socket_path}",
                        f"--log={workdir / 'netconfd.log'}",
                        "--log-level=warn",
                        f"--yuma-home={yuma_home}",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=workdir,
                )
            )
        _wait_for(lambda: socket_path.exists(), timeout, "netconfd socket", device)
        with (workdir / "sshd.out").open("wb") as out:
            device.processes.append(
                subprocess.Popen(
                    [sshd, "-D", "-e", "-f", str(sshd_config)],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=workdir,
                )
            )
        device.pids = [process.pid for process in device.processes]
        _wait_for(lambda: _hello(device), timeout, "a NETCONF session", device)
    except BaseException:
        stop_netconf_device(device)
        raise
    return device


def _wait_for(check: object, timeout: float, what: str, device: NetconfDevice) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in device.processes:
            if process.poll() is not None:
                command = process.args[0] if isinstance(process.args, list) else process.args
                raise LabError(
                    f"{command!s} exited with {process.returncode} while waiting for "
                    f"{what}; see {device.workdir}"
                )
        if check():
            return
        time.sleep(0.05)
    raise LabError(f"no {what} within {timeout} s; see {device.workdir}")


def _hello(device: NetconfDevice) -> bool:
    from ncclient import manager  # type: ignore[import-untyped]

    try:
        session = manager.connect(
            host=device.host,
            port=device.port,
            username=device.username,
            key_filename=str(device.key_file),
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=5,
        )
    except Exception:
        return False
    session.close_session()
    return True


def stop_netconf_device(device: NetconfDevice, *, timeout: float = 5.0) -> None:
    """Stop sshd and netconfd (only the processes this device started)."""
    for process in reversed(device.processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in reversed(device.processes):
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    device.processes.clear()
    (device.workdir / "ncxserver.sock").unlink(missing_ok=True)


# The lab CLI's name for it.
stop = stop_netconf_device


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the lab NETCONF device until killed.")
    parser.add_argument("--workdir", type=Path, default=Path("var/lab/netconf"))
    parser.add_argument("--port", type=int, default=18830)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    device = start_netconf_device(workdir=args.workdir, port=args.port, host=args.host)
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sys.stdout.write(
        f"NETCONF device on {device.address} (user {device.username}, key {device.key_file}, "
        f"pids {device.pids})\n"
    )
    sys.stdout.flush()
    try:
        while not stopping and all(p.poll() is None for p in device.processes):
            time.sleep(0.5)
    finally:
        stop_netconf_device(device)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
