"""SNMP polling capacity of one worker process (issue 6: >= 3,000 values/s per worker).

The simulator runs N agents (each on its own 127.0.0.1 UDP port, M ports each) in ANOTHER
process; this process polls all of them with the poller (GETBULK of ifHCInOctets,
ifHCOutOctets, ifOperStatus, ifHighSpeed plus sysUpTime, at most --concurrency in flight),
cycle after cycle for --seconds, deriving rates and utilisation into samples (a sink that
counts them). The reference, in the same run against the same agents: pysnmp's hlapi
``bulk_cmd`` (the library oss-peers.md section 4 measured at ~46 GET/s), same requests, same
concurrency, for --reference-seconds.

    .venv/bin/python bench/snmp_polling.py                      # short: 200 agents x 24 ports
    .venv/bin/python bench/snmp_polling.py --agents 1000 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Sequence

from ossbss.kernel import SystemClock
from ossbss.performance import Sample
from ossbss.performance.poller import DeviceTarget, Poller, PortBinding, SnmpClient
from ossbss.performance.poller.ber import format_oid
from ossbss.performance.poller.ifmib import SYS_UPTIME_OBJECT, columns


def start_simulator(agents: int, ports: int) -> tuple[subprocess.Popen[str], list[tuple[str, int]]]:
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from ossbss.performance.simulator import main; "
         "main(sys.argv[1:])", "--agents", str(agents), "--ports", str(ports)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    addresses = [(str(host), int(port)) for host, port in json.loads(line)["addresses"]]
    return process, addresses


def targets(addresses: Sequence[tuple[str, int]], ports: int) -> list[DeviceTarget]:
    return [
        DeviceTarget(
            device_id=f"sim-{n}",
            name=f"sim-{n}",
            address=address,
            community=b"public",
            bindings={i: PortBinding(f"sim-{n}/{i}", 1000) for i in range(1, ports + 1)},
        )
        for n, address in enumerate(addresses)
    ]


async def ours(
    devices: list[DeviceTarget], *, seconds: float, concurrency: int
) -> tuple[float, int, int, int]:
    """(values/s, cycles, failures, samples) polling every device cycle after cycle."""
    client = await SnmpClient(timeout=2.0, retries=1).open()
    samples = 0

    def sink(batch: Sequence[Sample]) -> None:
        nonlocal samples
        samples += len(batch)

    poller = Poller(
        client=client,
        targets=lambda: devices,
        sink=sink,
        clock=SystemClock(),
        interval=300.0,
        concurrency=concurrency,
    )
    await poller.poll_once()  # warm-up: first readings, no rates yet
    started = time.perf_counter()
    values = cycles = failures = 0
    while time.perf_counter() - started < seconds:
        report = await poller.poll_once()
        values += report.values
        failures += report.failed
        cycles += 1
    elapsed = time.perf_counter() - started
    client.close()
    return values / elapsed, cycles, failures, samples


async def pysnmp_reference(
    devices: list[DeviceTarget], *, seconds: float, concurrency: int, ports: int
) -> tuple[float, int]:
    """(values/s, failures) with pysnmp hlapi bulk_cmd: the same GETBULK per device."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        bulk_cmd,
    )

    engine = SnmpEngine()
    community = CommunityData("public", mpModel=1)
    transports = [
        await UdpTransportTarget.create(device.address, timeout=5, retries=1) for device in devices
    ]
    oids = [ObjectType(ObjectIdentity(format_oid(SYS_UPTIME_OBJECT)))] + [
        ObjectType(ObjectIdentity(format_oid(column))) for column in columns(64)
    ]
    limit = asyncio.Semaphore(concurrency)
    values = failures = 0

    async def one(transport: UdpTransportTarget) -> None:
        nonlocal values, failures
        async with limit:
            error, status, _, varbinds = await bulk_cmd(
                engine, community, transport, ContextData(), 1, ports + 1, *oids
            )
        if error or status:
            failures += 1
        else:
            values += min(len(varbinds), 1 + 4 * ports)

    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        await asyncio.gather(*(one(transport) for transport in transports))
    elapsed = time.perf_counter() - started
    engine.close_dispatcher()
    return values / elapsed, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--ports", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=10.0, help="our poller's run")
    parser.add_argument("--reference-seconds", type=float, default=8.0, help="pysnmp's run")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--reference-concurrency", type=int, default=None, help="pysnmp's (default: the same)"
    )
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()

    simulator, addresses = start_simulator(args.agents, args.ports)
    try:
        devices = targets(addresses, args.ports)
        print(
            f"{args.agents} simulated agents x {args.ports} ports x 4 counters (+ sysUpTime), "
            f"simulator in process {simulator.pid}, concurrency {args.concurrency}"
        )
        rate, cycles, failures, samples = asyncio.run(
            ours(devices, seconds=args.seconds, concurrency=args.concurrency)
        )
        print(
            f"ossbss poller : {rate:10,.0f} values/s  ({cycles} cycles, {failures} failures, "
            f"{samples:,} samples)"
        )
        if not args.no_reference:
            reference, reference_failures = asyncio.run(
                pysnmp_reference(
                    devices,
                    seconds=args.reference_seconds,
                    concurrency=args.reference_concurrency or args.concurrency,
                    ports=args.ports,
                )
            )
            print(f"pysnmp hlapi  : {reference:10,.0f} values/s  ({reference_failures} failures)")
            print(f"ratio         : {rate / reference:10.1f}x  (target: >= 3,000 values/s)")
    finally:
        simulator.terminate()
        simulator.wait(10)


if __name__ == "__main__":
    main()
