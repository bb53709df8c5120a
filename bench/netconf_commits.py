"""NETCONF activations against the lab device (yuma123 netconfd behind OpenSSH on loopback).

Starts a fresh device, then measures, in the same run:

- reference: one session, sequential lock/edit-config/commit/unlock cycles (and get-config
  round trips, the device's floor);
- 10 parallel sessions, each one thread, each cycle taking the candidate lock itself
  (lock-denied → short backoff and retry): the raw NETCONF figure;
- the driver with its per-device writer queue, which commits what queued up together
  (10 threads, one request per call);
- the driver batching 10 subscribers per commit (``execute_many``), 10 threads.

Prints commits/s and activations/s and the ratio to the reference.

    .venv/bin/python bench/netconf_commits.py [--seconds 20] [--reference-seconds 8]
"""

from __future__ import annotations

import argparse
import itertools
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ossbss.lab.netconf import NetconfDevice, start_netconf_device, stop_netconf_device
from ossbss.provisioning.drivers import ActivationRequest
from ossbss.provisioning.drivers.netconf import SPEC, SUBTREE, NetconfDriver


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Requests:
    """Subscriber changes that always change the device (a new rate each time), cycling over
    ``entries`` subscribers per thread so the configuration keeps its size."""

    def __init__(self, device: NetconfDevice, thread: int, entries: int) -> None:
        self.device = device
        self.thread = thread
        self.entries = entries
        self.counter = itertools.count(1)

    def next(self) -> ActivationRequest:
        n = next(self.counter)
        vlan = 1 + n % self.entries
        return ActivationRequest(
            service_id=f"bench-{self.thread}-{vlan}",
            spec=SPEC,
            action="add",
            params={
                "deviceAddress": self.device.address,
                "interface": f"ge-0/{self.thread}/0",
                "vlan": str(vlan),
                "rateDownKbps": str(1000 + n),
            },
        )


def run_threads(
    threads: int, seconds: float, work: Callable[[int, Callable[[], bool]], int]
) -> tuple[int, float, int]:
    """Run ``work(thread, keep_going)`` on ``threads`` threads; return (ops, elapsed, errors)."""
    counts = [0] * threads
    errors = [0] * threads
    start = threading.Barrier(threads + 1)
    deadline = 0.0

    def keep_going() -> bool:
        return time.monotonic() < deadline

    def body(index: int) -> None:
        start.wait()
        try:
            counts[index] = work(index, keep_going)
        except Exception as exc:
            errors[index] += 1
            print(f"  thread {index}: {exc!r}")

    workers = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    began = time.monotonic()
    deadline = began + seconds
    start.wait()
    for worker in workers:
        worker.join()
    return sum(counts), time.monotonic() - began, sum(errors)


def warm(driver: NetconfDriver, device: NetconfDevice, sessions: int) -> None:
    """Open the pool's sessions up front (session setup is not what is measured)."""
    pool = driver._pool(device.address)
    opened = [pool.connect() for _ in range(sessions)]
    pool.idle.extend(opened)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per parallel scenario")
    parser.add_argument("--reference-seconds", type=float, default=8.0)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10, help="subscribers per execute_many")
    parser.add_argument(
        "--entries", type=int, default=20, help="subscribers per thread (the config's size)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ossbss-netconf-bench-") as workdir:
        device = start_netconf_device(workdir=Path(workdir), port=free_port())
        try:
            run(device, args)
        finally:
            stop_netconf_device(device)


def run(device: NetconfDevice, args: argparse.Namespace) -> None:
    rows: list[tuple[str, float, float, str]] = []

    def make_driver(**kwargs: object) -> NetconfDriver:
        return NetconfDriver(
            username=device.username,
            key_file=device.key_file,
            sessions_per_device=args.threads,
            **kwargs,  # type: ignore[arg-type]
        )

    # Session setup, for the record.
    driver = make_driver()
    began = time.monotonic()
    session = driver.session(device.address)
    setup_ms = (time.monotonic() - began) * 1000
    print(f"session setup: {setup_ms:.0f} ms")

    # Reference 1: get-config round trips on one session.
    def get_configs(_i: int, keep_going: Callable[[], bool]) -> int:
        n = 0
        while keep_going():
            session.get_config(SUBTREE)
            n += 1
        return n

    ops, elapsed, _ = run_threads(1, args.reference_seconds, get_configs)
    get_rate = ops / elapsed
    session.close()
    print(f"reference get-config, 1 session: {get_rate:.0f}/s")

    # The device holds (threads + 1) x entries subscribers throughout.
    warm(driver, device, 1)
    for thread in range(args.threads + 1):
        filler = Requests(device, thread, args.entries)
        assert all(r.ok for r in driver.execute_many([filler.next() for _ in range(args.entries)]))
    size = len(driver.running(device.address))
    print(f"device config: {(args.threads + 1) * args.entries} subscribers, {size} bytes")

    # Reference 2: sequential commits, one session.
    requests = Requests(device, 0, args.entries)

    def sequential(_i: int, keep_going: Callable[[], bool]) -> int:
        n = 0
        while keep_going():
            assert driver.execute(requests.next()).ok
            n += 1
        return n

    ops, elapsed, _ = run_threads(1, args.reference_seconds, sequential)
    reference = ops / elapsed
    driver.close()
    print(f"reference commits, 1 session sequential: {reference:.1f}/s ({ops} in {elapsed:.1f} s)")
    rows.append(("1 session, sequential (reference)", reference, reference, ""))

    # The same with ncclient's own send (queued for its reader thread's 100 ms select tick).
    stock = make_driver(direct_send=False)
    warm(stock, device, 1)

    def sequential_stock(_i: int, keep_going: Callable[[], bool]) -> int:
        n = 0
        while keep_going():
            assert stock.execute(requests.next()).ok
            n += 1
        return n

    ops, elapsed, _ = run_threads(1, args.reference_seconds, sequential_stock)
    stock.close()
    rows.append(("1 session, ncclient's queued send", ops / elapsed, ops / elapsed, ""))
    print(f"1 session, ncclient's queued send: {ops / elapsed:.1f}/s")

    def parallel(label: str, batch: int, **kwargs: object) -> None:
        driver = make_driver(**kwargs)
        warm(driver, device, args.threads)
        per_thread = [Requests(device, i + 1, args.entries) for i in range(args.threads)]

        def work(index: int, keep_going: Callable[[], bool]) -> int:
            n = 0
            while keep_going():
                results = driver.execute_many([per_thread[index].next() for _ in range(batch)])
                assert all(result.ok for result in results), results
                n += 1
            return n

        calls, elapsed, errors = run_threads(args.threads, args.seconds, work)
        driver.close()
        activations = calls * batch / elapsed
        rate = driver.commits / elapsed
        note = f"lock-denied retries {driver.lock_retries}" + (
            f", errors {errors}" if errors else ""
        )
        rows.append((label, rate, activations, note))
        print(
            f"{label}: {rate:.1f} device commits/s, {activations:.1f} activations/s, "
            f"{activations / reference:.2f}x reference ({note})"
        )

    threads = args.threads
    parallel(f"{threads} sessions, candidate lock only", 1, queue_writers=False)
    parallel(f"{threads} threads, driver (writer queue, group commit)", 1, queue_writers=True)
    parallel(f"{threads} threads, driver, {args.batch} per commit", args.batch, queue_writers=True)

    print()
    print("| scenario | device commits/s | activations/s | vs reference | note |")
    print("|---|---|---|---|---|")
    for label, rate, activations, note in rows:
        ratio = activations / reference
        print(f"| {label} | {rate:.1f} | {activations:.1f} | {ratio:.2f}x | {note} |")
    print(f"\nsession setup {setup_ms:.0f} ms; get-config round trip {1000 / get_rate:.1f} ms")


if __name__ == "__main__":
    main()
