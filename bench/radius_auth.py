"""Benchmark: authentications/s through FreeRADIUS reading our tables, against its `files` module.

    .venv/bin/python bench/radius_auth.py [--subscribers 1000] [--requests 10000]
        [--parallel 32] [--rounds 3] [--database-url URL]

Provisions N subscribers through the RADIUS driver (into a fresh SQLite file under
var/bench/radius/ unless --database-url names another database), starts one FreeRADIUS with two
virtual servers: ``ossbss`` (rlm_sql on our tables) and ``reference`` (the same users and reply
items in the ``files`` module, loaded in memory), and drives both with the real ``radclient``
(C, parallel requests from a file). Prints each rate and the ratio sql/files of the same run:
the machine is shared and noisy, compare ratios.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ossbss.kernel.db import Base, Database
from ossbss.lab.peers import free_port
from ossbss.lab.radius import start_freeradius
from ossbss.provisioning.drivers import ActivationRequest
from ossbss.provisioning.drivers.radius import SPEC, RadiusDriver, Subscriber
from ossbss.provisioning.radius_tables import RADIUS_TABLES

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench" / "radius"
SECRET = "bench-secret"
RADCLIENT = shutil.which("radclient") or "/usr/bin/radclient"
console = Console()


def subscriber_params(n: int) -> dict[str, str]:
    return {
        "username": f"bench{n:06d}",
        "password": f"pw{n:06d}",
        "ipv4Address": f"100.{64 + n // 65536}.{n // 256 % 256}.{n % 256}",
        "rateDownKbps": str(10_000 + n % 90 * 1000),
        "rateUpKbps": str(2_000 + n % 18 * 1000),
    }


def users_file(count: int) -> str:
    """The same subscribers as a FreeRADIUS users file (the reference)."""
    lines = []
    for n in range(count):
        sub = Subscriber.from_params(subscriber_params(n))
        reply = ", ".join(
            f'{a} {o} "{v}"' if a == "Mikrotik-Rate-Limit" else f"{a} {o} {v}"
            for a, o, v in sub.reply_items()
        )
        lines.append(f'{sub.username} Cleartext-Password := "{sub.password}"\n\t{reply}\n')
    return "\n".join(lines)


def provision(database: Database, count: int) -> float:
    driver = RadiusDriver(database, coa_secret=b"unused")
    started = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("provisioning through the driver", total=count)
        for n in range(count):
            result = driver.execute(
                ActivationRequest(
                    service_id=f"bench-{n}", spec=SPEC, action="add", params=subscriber_params(n)
                )
            )
            assert result.ok, result.message
            progress.advance(task)
    return count / (time.perf_counter() - started)


def request_file(path: Path, subscribers: int, requests: int) -> None:
    with path.open("w") as out:
        for i in range(requests):
            params = subscriber_params(i % subscribers)
            out.write(
                f'User-Name = "{params["username"]}", User-Password = "{params["password"]}", '
                "NAS-IP-Address = 127.0.0.1\n\n"
            )


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used (FreeRADIUS: its sqlite work is in-process)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Round:
    rate: float  # auth/s, wall clock
    cpu_ms: float  # FreeRADIUS CPU ms per 1,000 auths


def drive(pid: int, port: int, requests_path: Path, requests: int, parallel: int) -> Round:
    cpu_before = cpu_seconds(pid)
    command = [RADCLIENT, "-q", "-s", "-p", str(parallel), "-t", "5", "-r", "1"]
    command += ["-f", str(requests_path), f"127.0.0.1:{port}", "auth", SECRET]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    approved = re.search(r"Accepted\s*:\s*(\d+)", done.stdout)
    if approved is None or int(approved.group(1)) != requests:
        raise SystemExit(f"radclient: not every request was accepted:\n{done.stdout}{done.stderr}")
    return Round(requests / elapsed, cpu * 1e6 / requests)


def answer(port: int, username: str, password: str) -> list[str]:
    done = subprocess.run(
        [RADCLIENT, "-x", f"127.0.0.1:{port}", "auth", SECRET],
        input=f'User-Name = "{username}", User-Password = "{password}"',
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.split("Received", 1)[-1].splitlines()[1:]
    return sorted(line.strip() for line in lines if line.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--parallel", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="FreeRADIUS worker threads")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    database_url = args.database_url or f"sqlite:///{WORK / 'radius.db'}"
    database = Database(database_url)
    Base.metadata.drop_all(database.engine, tables=list(RADIUS_TABLES))
    Base.metadata.create_all(database.engine, tables=list(RADIUS_TABLES))
    provisioned = provision(database, args.subscribers)

    auth_port, files_port = free_port(), free_port()
    peer = start_freeradius(
        database_url=database_url,
        workdir=WORK / "freeradius",
        auth_port=auth_port,
        acct_port=free_port(),
        secret=SECRET,
        threads=args.threads,
        files_auth_port=files_port,
        users=users_file(args.subscribers),
    )
    try:
        sample = subscriber_params(args.subscribers // 2)
        sql_answer = answer(auth_port, sample["username"], sample["password"])
        files_answer = answer(files_port, sample["username"], sample["password"])
        assert sql_answer == files_answer, (sql_answer, files_answer)
        requests_path = WORK / "requests.txt"
        request_file(requests_path, args.subscribers, args.requests)
        sql_rounds: list[Round] = []
        files_rounds: list[Round] = []
        for _ in range(args.rounds):
            for port, rounds in ((files_port, files_rounds), (auth_port, sql_rounds)):
                rounds.append(drive(peer.pid, port, requests_path, args.requests, args.parallel))
    finally:
        peer.stop()
        database.dispose()

    engine = database_url.split(":", 1)[0].split("+", 1)[0]
    table = Table(title=f"RADIUS auth, {args.subscribers} subscribers, {args.requests} requests")
    for column in ("server", "best auth/s", "rounds (auth/s)", "CPU ms / 1k auths (median)"):
        table.add_column(column)
    for label, rounds in (
        ("reference: files module", files_rounds),
        (f"ossbss: rlm_sql on our tables ({engine})", sql_rounds),
    ):
        table.add_row(
            label,
            f"{max(r.rate for r in rounds):,.0f}",
            " ".join(f"{r.rate:,.0f}" for r in rounds),
            f"{statistics.median(r.cpu_ms for r in rounds):,.0f}",
        )
    console.print(table)
    best = max(r.rate for r in sql_rounds) / max(r.rate for r in files_rounds)
    paired = statistics.median(
        sql.rate / files.rate for sql, files in zip(sql_rounds, files_rounds, strict=True)
    )
    cpu = statistics.median(r.cpu_ms for r in files_rounds) / statistics.median(
        r.cpu_ms for r in sql_rounds
    )
    console.print(
        f"ratio sql/files: best rate {best:.2f}, median of paired rounds {paired:.2f}, "
        f"FreeRADIUS CPU per auth {cpu:.2f} (files CPU / sql CPU; PostgreSQL's own CPU not counted)"
    )
    console.print(f"provisioning through the driver: {provisioned:,.0f} subscribers/s")
    console.print(f"same answer from both servers for {sample['username']}: {sql_answer}")


if __name__ == "__main__":
    main()
