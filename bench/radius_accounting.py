"""Benchmark: RADIUS accounting requests/s through the collector, nothing lost, against a bare
UDP server answering the same packets.

    .venv/bin/python bench/radius_accounting.py [--sessions 2000] [--interims 3]
        [--senders 4] [--parallel 128] [--rounds 2] [--database-url URL]

The real ``radclient`` (C) sends Start, ``--interims`` Interim-Updates and a Stop per session
from ``--senders`` processes at once, ``--parallel`` requests in flight each. The collector runs
in this process on a fresh SQLite file under var/bench/radius-acct/ (or ``--database-url``),
storing into a small table sink (``--sink module:function`` takes ``usage.ingest`` instead).
The reference is a bare asyncio UDP server that answers each packet with a valid
Accounting-Response and does nothing else. Each round checks that every request was answered
and that the stored records and byte totals are exactly what was sent; the ratio
collector/bare of the same run is the figure to compare (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table
from sqlalchemy import BigInteger, Integer, MetaData, String, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from ossbss import bootstrap
from ossbss.kernel import Database, SystemClock
from ossbss.kernel.db import Base
from ossbss.lab.peers import free_port
from ossbss.usage.accounting_cli import resolve_sink
from ossbss.usage.accounting_contract import UsageInput, UsageSink
from ossbss.usage.accounting_models import AccountingSession
from ossbss.usage.radius_accounting import (
    RECEIVE_BUFFER_BYTES,
    CollectorThread,
    RadiusAccountingServer,
)

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench" / "radius-acct"
SECRET = "bench-acct-secret"
RADCLIENT = shutil.which("radclient") or "/usr/bin/radclient"
console = Console()


class BenchBase(DeclarativeBase):
    """Not the platform's metadata: the migrations must not see a bench table."""

    metadata = MetaData()


class BenchRecord(BenchBase):
    __tablename__ = "bench_usage_record"

    record_key: Mapped[str] = mapped_column(String(400), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(253))
    duration_seconds: Mapped[int] = mapped_column(Integer)
    bytes_up: Mapped[int] = mapped_column(BigInteger)
    bytes_down: Mapped[int] = mapped_column(BigInteger)


def table_sink(session: Session, *, records: Sequence[UsageInput], now: datetime) -> int:
    """The stand-in for usage.ingest: skips known keys, inserts the rest in one statement."""
    keys = [record.record_key for record in records]
    known = set(
        session.scalars(select(BenchRecord.record_key).where(BenchRecord.record_key.in_(keys)))
    )
    rows = [
        {
            "record_key": r.record_key,
            "subscriber": r.subscriber,
            "duration_seconds": r.duration_seconds,
            "bytes_up": r.bytes_up,
            "bytes_down": r.bytes_down,
        }
        for r in records
        if r.record_key not in known
    ]
    if rows:
        session.execute(insert(BenchRecord), rows)
    return len(rows)


# -- traffic ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    requests: int
    records: int
    bytes_up: int
    bytes_down: int


def write_requests(
    directory: Path, *, round_id: int, sessions: int, interims: int, senders: int
) -> tuple[list[Path], Traffic]:
    """One file per sender; each session's packets go to one sender, in order."""
    files = [directory / f"round{round_id}-sender{n}.txt" for n in range(senders)]
    outs = [path.open("w") for path in files]
    requests = records = total_up = total_down = 0
    for i in range(sessions):
        out = outs[i % senders]
        common = (
            f'Acct-Session-Id = "r{round_id}-s{i}", User-Name = "sub{i % 500:04d}", '
            'NAS-IP-Address = 127.0.0.1, NAS-Identifier = "bench-bng"'
        )
        out.write(f"Acct-Status-Type = Start, {common}\n\n")
        up = down = 0
        for step in range(1, interims + 2):
            up += 1_000_000 + i * 17 + step * 3
            down += 9_000_000 + i * 31 + step * 7
            status = "Stop" if step == interims + 1 else "Interim-Update"
            out.write(
                f"Acct-Status-Type = {status}, {common}, Acct-Session-Time = {step * 300}, "
                f"Acct-Input-Octets = {up & 0xFFFFFFFF}, Acct-Input-Gigawords = {up >> 32}, "
                f"Acct-Output-Octets = {down & 0xFFFFFFFF}, "
                f"Acct-Output-Gigawords = {down >> 32}\n\n"
            )
            records += 1
        requests += interims + 2
        total_up += up
        total_down += down
    for out in outs:
        out.close()
    return files, Traffic(requests, records, total_up, total_down)


def drive(port: int, files: list[Path], parallel: int) -> tuple[float, int]:
    """All senders at once; (seconds, answered requests)."""
    command = [RADCLIENT, "-q", "-s", "-p", str(parallel), "-t", "3", "-r", "5"]
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [*command, "-f", str(path), f"127.0.0.1:{port}", "acct", SECRET],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for path in files
    ]
    answered = 0
    for process in processes:
        output, _ = process.communicate()
        found = re.search(r"Accepted\s*:\s*(\d+)", output)
        answered += int(found.group(1)) if found else 0
    return time.perf_counter() - started, answered


# -- the reference: answer every packet, nothing else -------------------------------------------


class BareServer(asyncio.DatagramProtocol):
    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        # the same kernel buffer as the collector's, or a burst overflows it and waits for
        # radclient's retry timer
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        header = b"\x05" + data[1:2] + b"\x00\x14"
        authenticator = hashlib.md5(header + data[4:20] + self.secret).digest()
        assert self.transport is not None
        self.transport.sendto(header + authenticator, addr)


class BareThread:
    def __init__(self, port: int) -> None:
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> BareThread:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(
            self._loop.create_datagram_endpoint(
                lambda: BareServer(SECRET.encode()), local_addr=("127.0.0.1", self.port)
            ),
            self._loop,
        ).result(5)
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


# -- main ---------------------------------------------------------------------------------------


def stored(database: Database, round_id: int, *, real_sink: bool) -> tuple[int, int, int]:
    table = bootstrap.metadata().tables["usage_record"] if real_sink else BenchRecord.__table__
    with database.unit_of_work(write=False) as session:
        query = select(
            func.count(), func.sum(table.c.bytes_up), func.sum(table.c.bytes_down)
        ).where(table.c.record_key.like(f"radius:bench-bng:r{round_id}-%"))
        row = session.execute(query).one()
    return int(row[0]), int(row[1] or 0), int(row[2] or 0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--interims", type=int, default=3)
    parser.add_argument("--senders", type=int, default=4, help="radclient processes at once")
    parser.add_argument("--parallel", type=int, default=128, help="requests in flight per sender")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sink", default="", help="module:function (default: a bench table)")
    args = parser.parse_args()

    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    database_url = args.database_url or f"sqlite:///{WORK / 'acct.db'}"
    database = Database(database_url)
    state_table = [AccountingSession.__table__]
    Base.metadata.drop_all(database.engine, tables=state_table)  # type: ignore[arg-type]
    Base.metadata.create_all(database.engine, tables=state_table)  # type: ignore[arg-type]
    BenchBase.metadata.drop_all(database.engine)
    BenchBase.metadata.create_all(database.engine)
    sink: UsageSink = resolve_sink(args.sink) if args.sink else table_sink
    if args.sink:  # the real sink needs the platform's tables
        metadata = bootstrap.metadata()
        metadata.drop_all(database.engine)
        metadata.create_all(database.engine)

    collector_rates: list[float] = []
    bare_rates: list[float] = []
    collector_cpu: list[float] = []  # CPU µs per request, this process (load-independent)
    failures: list[str] = []
    server = RadiusAccountingServer(
        database=database, sink=sink, secret=SECRET, clock=SystemClock()
    )
    collector = CollectorThread(server).start()
    try:
        for round_id in range(args.rounds):
            files, traffic = write_requests(
                WORK,
                round_id=round_id,
                sessions=args.sessions,
                interims=args.interims,
                senders=args.senders,
            )
            with BareThread(free_port()) as bare:
                seconds, answered = drive(bare.port, files, args.parallel)
            bare_rates.append(traffic.requests / seconds)
            if answered != traffic.requests:
                failures.append(f"bare: {answered}/{traffic.requests} answered")
            cpu = time.process_time()
            seconds, answered = drive(server.port, files, args.parallel)
            collector_cpu.append((time.process_time() - cpu) * 1e6 / traffic.requests)
            collector_rates.append(traffic.requests / seconds)
            if answered != traffic.requests:
                failures.append(
                    f"collector round {round_id}: {answered}/{traffic.requests} answered"
                )
            got = stored(database, round_id, real_sink=bool(args.sink))
            want = (traffic.records, traffic.bytes_up, traffic.bytes_down)
            if got != want:
                failures.append(f"round {round_id}: stored {got}, sent {want}")
    finally:
        collector.stop()
        database.dispose()

    engine = database_url.split(":", 1)[0].split("+", 1)[0]
    per_round = args.sessions * (args.interims + 2)
    table = Table(
        title=f"RADIUS accounting: {per_round} requests/round, {args.senders} radclient x "
        f"{args.parallel} in flight, {engine}"
    )
    for column in ("server", "best req/s", "rounds (req/s)"):
        table.add_column(column)
    table.add_row(
        "reference: bare UDP answer",
        f"{max(bare_rates):,.0f}",
        " ".join(f"{r:,.0f}" for r in bare_rates),
    )
    table.add_row(
        "collector: decode, verify, delta, store, answer",
        f"{max(collector_rates):,.0f}",
        " ".join(f"{r:,.0f}" for r in collector_rates),
    )
    console.print(table)
    paired = statistics.median(c / b for c, b in zip(collector_rates, bare_rates, strict=True))
    console.print(
        f"ratio collector/bare: best {max(collector_rates) / max(bare_rates):.2f}, "
        f"median of paired rounds {paired:.2f}"
    )
    console.print(
        f"collector CPU per request: {statistics.median(collector_cpu):,.0f} µs (median), "
        f"i.e. at most {1e6 / statistics.median(collector_cpu):,.0f} req/s on one free core"
    )
    console.print(f"collector status: {server.status()}", highlight=False)
    if failures:
        console.print("[red]LOST OR WRONG:[/red] " + "; ".join(failures))
        sys.exit(1)
    console.print("nothing lost: every request answered, stored records and byte totals = sent")


if __name__ == "__main__":
    main()
