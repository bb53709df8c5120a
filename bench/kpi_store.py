"""The KPI store's hot path: ``performance.record_samples`` in poller-sized batches (N ports x
4 metrics per poll, the default thresholds on utilisation evaluated on every sample, a few
ports crossing), then the downsampling job over what was stored. Prints values/s and, measured
in the same run, the floor: a bare executemany of the same rows into the same table (no
thresholds), as a ratio. Target: well above the poller's 3,000 values/s per worker.

    .venv/bin/python bench/kpi_store.py --ports 2000 --polls 10
    scripts/with-postgres.sh sh -c \\
      '.venv/bin/python bench/kpi_store.py --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete

from ossbss import bootstrap, performance
from ossbss.kernel import Database
from ossbss.performance.models import KpiSample

T0 = datetime(2026, 10, 1, tzinfo=UTC)
METRICS = (
    performance.IN_BPS,
    performance.OUT_BPS,
    performance.IN_UTILISATION,
    performance.OUT_UTILISATION,
)


def poll(ports: int, number: int) -> list[performance.Sample]:
    at = T0 + timedelta(minutes=number)
    samples = []
    for port in range(ports):
        # one port in fifty swings across the 80 % threshold every other poll
        utilisation = 90.0 if port % 50 == 0 and number % 2 else 40.0 + port % 30
        for metric in METRICS:
            value = utilisation if metric.endswith("Utilisation") else utilisation * 1e7
            samples.append(performance.Sample(f"port-{port}", metric, at, value))
    return samples


def run(database: Database, ports: int, polls: int) -> None:
    with database.unit_of_work() as session:
        performance.seed_thresholds(session, now=T0)
    batches = [poll(ports, number) for number in range(polls)]
    values = sum(len(batch) for batch in batches)

    started = time.perf_counter()
    for batch in batches:
        with database.unit_of_work() as session:
            performance.record_samples(session, samples=batch, now=batch[0].at)
    stored = time.perf_counter() - started

    started = time.perf_counter()
    with database.unit_of_work() as session:
        report = performance.downsample(session, now=T0 + timedelta(minutes=polls + 10))
    rolled = time.perf_counter() - started

    with database.unit_of_work() as session:
        session.execute(delete(KpiSample))
    started = time.perf_counter()
    for batch in batches:
        rows = [
            {"resource_id": s.resource_id, "metric": s.metric, "at": s.at, "value": s.value}
            for s in batch
        ]
        with database.unit_of_work() as session:
            session.connection().execute(KpiSample.__table__.insert(), rows)
    floor = time.perf_counter() - started

    print(f"engine: {database.engine.dialect.name}; {ports} ports x 4 metrics x {polls} polls")
    print(f"record_samples: {values / stored:,.0f} values/s ({values:,} values in {stored:.2f} s)")
    print(f"bare executemany (floor): {values / floor:,.0f} values/s")
    print(f"ratio record_samples / floor: {floor / stored:.2f}")
    print(
        f"downsample: {values / rolled:,.0f} values/s rolled "
        f"({report.five_minute_buckets:,} 5-minute, {report.hourly_buckets:,} hourly buckets "
        f"in {rolled:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=2000)
    parser.add_argument("--polls", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'kpi.db'}"
        database = Database(url)
        metadata = bootstrap.metadata()
        metadata.drop_all(database.engine)
        metadata.create_all(database.engine)
        try:
            run(database, args.ports, args.polls)
        finally:
            database.dispose()


if __name__ == "__main__":
    main()
