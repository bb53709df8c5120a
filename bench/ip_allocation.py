"""IP allocation under concurrency: N threads allocate 10,000 addresses from one /16, each
allocation its own transaction, and nothing may be handed out twice.

The reference, measured in the same run with the same threads: the same number of plain
single-row INSERTs into a scratch table, one transaction each. The ratio says what the
pool's lock, free-list read, cursor update and unique checks cost on top of a bare write.

    .venv/bin/python bench/ip_allocation.py                      # temp SQLite file
    scripts/with-postgres.sh sh -c \
      '.venv/bin/python bench/ip_allocation.py --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from ossbss import bootstrap, inventory, tmf
from ossbss.inventory.models import Allocation
from ossbss.kernel import Database, InvalidInput

NOW = datetime(2026, 1, 1, tzinfo=UTC)
scratch_metadata = MetaData()
SCRATCH = Table(
    "bench_scratch",
    scratch_metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("worker", Integer),
    Column("value", String(64)),
)


def in_threads(threads: int, total: int, job: Callable[[int, int], None]) -> float:
    """Run ``job(worker, n)`` ``total`` times spread over ``threads``; wall seconds."""
    per_thread = [range(w, total, threads) for w in range(threads)]
    start = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        start.wait()
        try:
            for n in per_thread[worker]:
                job(worker, n)
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return elapsed


def make_pool(database: Database) -> tuple[str, str]:
    """A fresh /16 that overlaps no pool already in the database."""
    for second in range(256):
        cidr = f"10.{second}.0.0/16"
        body = {
            "@type": "IPv4Pool",
            "name": f"bench-{uuid4().hex[:8]}",
            "resourceCharacteristic": [{"name": "cidr", "value": cidr}],
        }
        try:
            with database.unit_of_work() as session:
                made = tmf.create_resource(
                    session, resource=inventory.RESOURCE, payload=body, now=NOW
                )
            return str(made["id"]), cidr
        except InvalidInput:
            continue
    raise SystemExit("no free /16 left under 10.0.0.0/8 in this database")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--allocations", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    database = Database(url)
    bootstrap.metadata().create_all(database.engine)
    scratch_metadata.drop_all(database.engine)
    scratch_metadata.create_all(database.engine)
    engine = database.engine.dialect.name
    total, threads = args.allocations, args.threads

    def plain_insert(worker: int, n: int) -> None:
        with database.unit_of_work() as session:
            session.execute(insert(SCRATCH).values(worker=worker, value=f"v{n}"))

    pool_id, cidr = make_pool(database)
    run = uuid4().hex[:8]

    def allocate(worker: int, n: int) -> None:
        with database.unit_of_work() as session:
            inventory.allocate(session, pool_id=pool_id, consumer_id=f"{run}-{n}", now=NOW)

    reference_s = in_threads(threads, total, plain_insert)
    allocation_s = in_threads(threads, total, allocate)

    with database.unit_of_work(write=False) as session:
        rows = session.execute(
            select(func.count(), func.count(func.distinct(Allocation.value))).where(
                Allocation.pool_id == pool_id
            )
        ).one()
        usage = inventory.pool_usage(session, pool_id=pool_id)
    count, distinct = int(rows[0]), int(rows[1])
    reference_rate, allocation_rate = total / reference_s, total / allocation_s
    print(f"engine: {engine}, {threads} threads, {total} allocations from {cidr}")
    print(f"reference (plain single-row INSERT, one transaction each): {reference_rate:,.0f}/s")
    print(f"IP allocation: {allocation_rate:,.0f} allocations/s")
    print(f"ratio allocation/reference: {allocation_rate / reference_rate:.0%}")
    print(f"allocated rows: {count}, duplicates: {count - distinct}, pool free: {usage.free}")
    if count != total or count != distinct:
        raise SystemExit("FAILED: double booking or lost allocations")
    scratch_metadata.drop_all(database.engine)
    database.dispose()


if __name__ == "__main__":
    main()
