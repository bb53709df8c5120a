"""CDR file -> stored usage: generate N voice CDR rows, import them with ``import_file`` (Polars
parse, per-row checks, subscriber resolution, de-dup, TMF635 body, chunked commits) and
report records/s.

The reference, measured in the same run on the same rows: a bare ``polars.read_csv`` plus a
bare driver ``executemany`` of the same five values per row into a scratch table with one
unique key (no resolution, no document, no checks). The ratio says what the room costs on top.

    .venv/bin/python bench/cdr_import.py --rows 200000          # temp SQLite file
    scripts/with-postgres.sh sh -c \
      '.venv/bin/python bench/cdr_import.py --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select

from ossbss import bootstrap, usage
from ossbss.kernel import Database, FixedClock, Period
from ossbss.usage.cdr import import_file
from ossbss.usage.models import UsageRecord

NOW = datetime(2026, 2, 1, tzinfo=UTC)
START = datetime(2026, 1, 1, tzinfo=UTC)
scratch_metadata = MetaData()
SCRATCH = Table(
    "bench_cdr_scratch",
    scratch_metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("record_key", String(255), unique=True),
    Column("subscriber", String(128)),
    Column("destination", String(64)),
    Column("started_at", DateTime(timezone=True)),
    Column("duration_seconds", Integer),
)


def generate(path: Path, rows: int, subscribers: int) -> None:
    frame = pl.DataFrame({"n": pl.int_range(0, rows, eager=True)}).select(
        call_id=pl.format("call-{}", pl.col("n")),
        a_number=pl.format("3161{}", (pl.col("n") % subscribers).cast(pl.String).str.zfill(7)),
        b_number=pl.format(
            "3120{}", (pl.col("n") * 7919 % 10_000_000).cast(pl.String).str.zfill(7)
        ),
        start=(pl.lit(START) + pl.duration(seconds=pl.col("n") * 2)).dt.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        duration=(pl.col("n") * 37 % 3600),
    )
    frame.write_csv(path)


def register(database: Database, subscribers: int, offering_id: str = "offering-voice") -> None:
    with database.unit_of_work() as session:
        for n in range(subscribers):
            usage.register_subscriber(
                session,
                identifier=f"3161{n:07d}",
                product_id=f"product-{n}",
                billing_account_id=f"account-{n}",
                offering_id=offering_id,
                customer_id=f"customer-{n}",
                valid_from=START - timedelta(days=30),
                now=NOW,
            )


def reference(database: Database, path: Path) -> float:
    """Bare polars read + bare executemany of the same values; seconds."""
    scratch_metadata.drop_all(database.engine)
    scratch_metadata.create_all(database.engine)
    began = time.perf_counter()
    frame = pl.read_csv(path, try_parse_dates=True)
    rows = frame.select("call_id", "a_number", "b_number", "start", "duration").rows()
    sqlite = database.is_sqlite
    mark = "?" if sqlite else "%s"
    sql = (
        "INSERT INTO bench_cdr_scratch (record_key, subscriber, destination, started_at, "
        f"duration_seconds) VALUES ({', '.join([mark] * 5)})"
    )
    with database.unit_of_work() as session:
        raw = session.connection().connection.driver_connection
        cursor = raw.cursor()
        if sqlite:
            cursor.executemany(
                sql, [(a, str(b), str(c), d.isoformat(), e) for a, b, c, d, e in rows]
            )
        else:
            cursor.executemany(sql, rows)
        cursor.close()
    seconds = time.perf_counter() - began
    scratch_metadata.drop_all(database.engine)
    return seconds


def rating_round_trip(database: Database, rows: int) -> tuple[float, float]:
    """What the rater reads and writes around its own work: records/s for each."""
    period = Period(START - timedelta(days=1), NOW)
    began = time.perf_counter()
    with database.unit_of_work(write=False) as session:
        frame = usage.records_to_rate(session, period=period)
    read_seconds = time.perf_counter() - began
    assert frame.height == rows
    rated = frame.select(
        "id",
        status=pl.lit("rated"),
        amount=pl.col("duration_seconds") * 25,
        scale=pl.lit(4, dtype=pl.Int64),
        currency=pl.lit("EUR"),
        price_id=pl.lit("price-voice"),
        rated_quantity=pl.col("duration_seconds"),
        reason=pl.lit(None, dtype=pl.String),
    )
    began = time.perf_counter()
    with database.unit_of_work() as session:
        usage.record_rating(session, rated=rated, now=NOW)
    write_seconds = time.perf_counter() - began
    return rows / read_seconds, rows / write_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        database = Database(url)
        metadata = bootstrap.metadata()
        metadata.drop_all(database.engine)
        metadata.create_all(database.engine)
        path = Path(tmp) / "cdr.csv"
        generate(path, args.rows, args.subscribers)
        register(database, args.subscribers)
        ref_seconds = reference(database, path)
        began = time.perf_counter()
        report = import_file(database, FixedClock(NOW), path=path, chunk_rows=args.chunk_rows)
        seconds = time.perf_counter() - began
        with database.unit_of_work(write=False) as session:
            stored = session.scalar(select(func.count()).select_from(UsageRecord))
        assert stored == args.rows == report.report.accepted, (stored, report.report)
        engine = database.engine.dialect.name
        ours = args.rows / seconds
        ref = args.rows / ref_seconds
        print(f"engine: {engine}, rows: {args.rows:,}, subscribers: {args.subscribers:,}")
        print(f"reference (polars read_csv + bare executemany): {ref:,.0f} records/s")
        print(f"CDR file -> stored usage (import_file):       {ours:,.0f} records/s")
        print(f"ratio to reference: {ours / ref:.2f}")
        read_rate, write_rate = rating_round_trip(database, args.rows)
        print(f"records_to_rate (read for the rater):         {read_rate:,.0f} records/s")
        print(f"record_rating (write the rating back):        {write_rate:,.0f} records/s")
        database.dispose()


if __name__ == "__main__":
    main()
