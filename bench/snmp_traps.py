"""Benchmark: SNMPv2c traps/s through the collector into alarms, nothing lost, against the real
snmptrapd at the same offered rate.

    .venv/bin/python bench/snmp_traps.py [--rate 5000] [--seconds 10] [--burst 50000]
        [--database-url URL] [--no-reference]

A sender process pre-encodes (with pysnmp) 1,000 distinct v2c traps: linkDown then linkUp on
500 ifIndexes, and sends them in that cycle at ``--rate`` for ``--seconds``, then a burst of
``--burst`` as fast as it can. The collector (the production listener: BER decoder, rules,
flood control off) runs in this process and hands its signals to the real ``AlarmPipeline``,
which de-duplicates and stores them in a fresh SQLite file under var/bench/snmp-traps/ (or
``--database-url``). Checks: every datagram received and accepted (received == sent), and
the sum of the alarm rows' counts == linkDowns sent (sent minus clears).

The reference, in the same run: snmptrapd (net-snmp, C) logging every trap to a file, fed
by the same sender at the same rate; its loss and rate are printed with the ratio.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from pyasn1.codec.ber import encoder
from pysnmp.proto import api, rfc1902
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from ossbss import bootstrap
from ossbss.assurance import AlarmPipeline, SnmpTrapListener, TrapCollectorThread
from ossbss.assurance.models import Alarm
from ossbss.kernel import Database, SystemClock
from ossbss.lab.peers import free_port

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench" / "snmp-traps"
PORTS = 500
LINK_DOWN, LINK_UP = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4"
SNMPTRAPD = shutil.which("snmptrapd") or "/usr/sbin/snmptrapd"
console = Console()


def encode_traps() -> list[bytes]:
    """1,000 distinct traps: linkDown on ifIndex 1..500, then linkUp on the same."""
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    packets = []
    for n, (oid, if_index) in enumerate(
        [(LINK_DOWN, i) for i in range(1, PORTS + 1)] + [(LINK_UP, i) for i in range(1, PORTS + 1)]
    ):
        pdu = p.SNMPv2TrapPDU()
        p.apiTrapPDU.set_defaults(pdu)
        p.apiPDU.set_request_id(pdu, 1000 + n)
        status = 2 if oid == LINK_DOWN else 1
        p.apiTrapPDU.set_varbinds(
            pdu,
            [
                (p.ObjectIdentifier("1.3.6.1.2.1.1.3.0"), rfc1902.TimeTicks(123456)),
                (p.ObjectIdentifier("1.3.6.1.6.3.1.1.4.1.0"), p.ObjectIdentifier(oid)),
                (p.ObjectIdentifier(f"1.3.6.1.2.1.2.2.1.1.{if_index}"), p.Integer(if_index)),
                (p.ObjectIdentifier(f"1.3.6.1.2.1.2.2.1.7.{if_index}"), p.Integer(1)),
                (p.ObjectIdentifier(f"1.3.6.1.2.1.2.2.1.8.{if_index}"), p.Integer(status)),
            ],
        )
        message = p.Message()
        p.apiMessage.set_defaults(message)
        p.apiMessage.set_community(message, "public")
        p.apiMessage.set_pdu(message, pdu)
        packets.append(bytes(encoder.encode(message)))
    return packets


def _send(
    packets: list[bytes], port: int, rate: float, count: int, first: int, result: Connection
) -> None:
    """The sender process: ``count`` traps from the cycle (starting at ``first``) at ``rate``
    per second (0: as fast as possible); reports the seconds it took."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    address = ("127.0.0.1", port)
    size = len(packets)
    start = time.perf_counter()
    sent = 0
    while sent < count:
        due = count if rate <= 0 else min(count, int((time.perf_counter() - start) * rate) + 1)
        while sent < due:
            try:
                sock.sendto(packets[(first + sent) % size], address)
            except BlockingIOError:  # loopback queue full: retry (the sender never drops)
                time.sleep(0.0001)
                continue
            sent += 1
        if sent < count:
            time.sleep(0.0005)
    result.send(time.perf_counter() - start)
    result.close()


def send(packets: list[bytes], port: int, *, rate: float, count: int, first: int = 0) -> float:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(
        target=_send, args=(packets, port, rate, count, first, sender), daemon=True
    )
    process.start()
    took = float(receiver.recv())
    process.join()
    return took


@dataclass
class Phase:
    name: str
    sent: int
    send_seconds: float
    received: int
    receive_seconds: float  # from the first send until the last datagram was read
    stored_seconds: float  # ... until the last signal was committed

    @property
    def offered_rate(self) -> float:
        return self.sent / self.send_seconds

    @property
    def drained_rate(self) -> float:
        return self.received / self.receive_seconds

    @property
    def loss(self) -> float:
        return 100.0 * (self.sent - self.received) / self.sent


def run_ours(args: argparse.Namespace, packets: list[bytes]) -> tuple[list[Phase], dict[str, int]]:
    database = _fresh_database(args.database_url)
    pipeline = AlarmPipeline(database, SystemClock(), batch_size=5000, max_pending=500_000)
    pipeline.start()
    listener = SnmpTrapListener(sink=pipeline, clock=SystemClock(), source_rate=0)
    collector = TrapCollectorThread(listener).start()
    console.print(
        f"collector on udp 127.0.0.1:{listener.port}, receive buffer "
        f"{listener.receive_buffer_bytes // (1024 * 1024)} MB",
        highlight=False,
    )
    phases = []
    sustained = int(args.rate * args.seconds)
    try:
        for name, rate, count, first in (
            (f"sustained {args.rate:g}/s", args.rate, sustained, 0),
            ("burst", 0.0, args.burst, sustained),
        ):
            if count <= 0:
                continue
            before = listener.status().received
            started = time.perf_counter()
            took = send(packets, listener.port, rate=rate, count=count, first=first)
            received = _wait_received(
                lambda before=before: listener.status().received - before, count
            )
            receive_seconds = time.perf_counter() - started
            pipeline.flush(timeout=120)
            phases.append(
                Phase(
                    name,
                    count,
                    took,
                    received,
                    receive_seconds,
                    time.perf_counter() - started,
                )
            )
    finally:
        collector.stop()
        pipeline.stop()
    status = listener.status()
    with database.unit_of_work(write=False) as session:
        rows = session.execute(
            select(func.count(), func.coalesce(func.sum(Alarm.count), 0)).select_from(Alarm)
        ).one()
        active = session.scalar(
            select(func.count()).select_from(Alarm).where(Alarm.state != "cleared")
        )
    database.dispose()
    total = sum(p.sent for p in phases)
    downs = sum(_downs(first, p.sent) for first, p in zip(_firsts(phases), phases, strict=True))
    figures = {
        "sent": total,
        "received": status.received,
        "accepted": status.accepted,
        "refused": sum(status.refused.values()),
        "linkDowns sent": downs,
        "alarm rows": int(rows[0]),
        "sum of alarm counts": int(rows[1]),
        "active alarms": int(active or 0),
        "stored (pipeline)": int(pipeline.status()["stored"]),
    }
    return phases, figures


def _firsts(phases: list[Phase]) -> list[int]:
    firsts, at = [], 0
    for phase in phases:
        firsts.append(at)
        at += phase.sent
    return firsts


def _downs(first: int, count: int) -> int:
    """How many linkDowns are among ``count`` traps of the cycle from position ``first``."""
    cycle = 2 * PORTS
    return sum(1 for n in range(first, first + count) if n % cycle < PORTS)


def _wait_received(received: Callable[[], int], count: int, settle: float = 3.0) -> int:
    """Until ``count`` arrived, or nothing more for ``settle`` seconds (losses)."""
    last, last_change = -1, time.monotonic()
    while True:
        now_received = int(received())
        if now_received >= count:
            return now_received
        if now_received != last:
            last, last_change = now_received, time.monotonic()
        elif time.monotonic() - last_change > settle:
            return now_received
        time.sleep(0.01)


def run_snmptrapd(args: argparse.Namespace, packets: list[bytes]) -> Phase | None:
    if not Path(SNMPTRAPD).exists():
        console.print("[yellow]snmptrapd not installed: no reference[/yellow]")
        return None
    work = WORK / "snmptrapd"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "snmptrapd.conf").write_text("disableAuthorization yes\n")
    log = work / "traps.log"
    port = free_port()
    env = {**os.environ, "MIBS": "", "SNMPCONFPATH": str(work), "SNMP_PERSISTENT_DIR": str(work)}
    process = subprocess.Popen(
        [
            *(SNMPTRAPD, "-f", "-C", "-c", str(work / "snmptrapd.conf"), "-On"),
            *("-Lf", str(log), "-F", "%a %v\n", f"udp:127.0.0.1:{port}"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_log(log)
        count = int(args.rate * args.seconds)
        started = time.perf_counter()
        took = send(packets, port, rate=args.rate, count=count)
        logged = _wait_received(lambda: _count_traps(log), count)
        elapsed = time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    return Phase(f"snmptrapd {args.rate:g}/s", count, took, logged, elapsed, elapsed)


def _wait_for_log(log: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not (log.exists() and "NET-SNMP" in log.read_text(errors="replace")):
        if time.monotonic() > deadline:
            raise RuntimeError("snmptrapd did not start")
        time.sleep(0.05)


def _count_traps(log: Path) -> int:
    with log.open("rb") as handle:
        return sum(1 for line in handle if b".1.3.6.1.6.3.1.1.4.1.0" in line)


def _fresh_database(url: str | None) -> Database:
    if url is None:
        shutil.rmtree(WORK / "db", ignore_errors=True)
        (WORK / "db").mkdir(parents=True)
        url = f"sqlite:///{WORK / 'db' / 'alarms.db'}"
    database = Database(url)
    metadata = bootstrap.metadata()
    metadata.drop_all(database.engine)
    metadata.create_all(database.engine)
    return database


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=5000.0, help="traps per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="sustained phase length")
    parser.add_argument("--burst", type=int, default=50_000, help="burst size (0: none)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--no-reference", action="store_true", help="skip snmptrapd")
    args = parser.parse_args()
    packets = encode_traps()
    console.print(
        f"{len(packets)} distinct traps, {min(map(len, packets))}-{max(map(len, packets))} bytes",
        highlight=False,
    )
    phases, figures = run_ours(args, packets)
    reference = None if args.no_reference else run_snmptrapd(args, packets)

    table = Table(title="SNMP traps (v2c) into alarms")
    for column in ("phase", "sent", "offered/s", "received", "loss %", "drained/s", "stored in s"):
        table.add_column(column, justify="right")
    for phase in [*phases, *([reference] if reference else [])]:
        table.add_row(
            phase.name,
            f"{phase.sent:,}",
            f"{phase.offered_rate:,.0f}",
            f"{phase.received:,}",
            f"{phase.loss:.2f}",
            f"{phase.drained_rate:,.0f}",
            f"{phase.stored_seconds:.1f}",
        )
    console.print(table)
    for name, value in figures.items():
        console.print(f"  {name}: {value:,}", highlight=False)
    lossless = (
        figures["received"]
        == figures["sent"]
        == figures["accepted"]
        == figures["stored (pipeline)"]
        and figures["sum of alarm counts"] == figures["linkDowns sent"]
    )
    console.print(
        f"nothing lost, counts add up: {'[green]yes' if lossless else '[red]NO'}[/]",
        highlight=False,
    )
    if reference is not None and phases:
        ours = phases[0]
        console.print(
            f"ratio ours/snmptrapd at {args.rate:g}/s offered: received "
            f"{ours.received / max(reference.received, 1):.2f}x "
            f"(snmptrapd loss {reference.loss:.1f}%, ours {ours.loss:.1f}%), drain rate "
            f"{ours.drained_rate / reference.drained_rate:.2f}x",
            highlight=False,
        )
    return 0 if lossless else 1


if __name__ == "__main__":
    sys.exit(main())
