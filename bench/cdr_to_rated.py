"""CDR file -> rated usage: the whole offline path of ``ossbss usage import`` followed by
``ossbss rate``: N voice CDRs imported (``import_file``) and rated (``charging.rate_period``)
with a real catalog tariff (zones by longest prefix, 60/60 increments, a weekend band, an
included allowance), on 10,000 subscribers. Prints records/s for the whole path (target
>= 100k/s) and the ratio to the bare reference of bench/cdr_import.py measured in the same run
(polars read_csv + a bare executemany of the same rows).

    .venv/bin/python bench/cdr_to_rated.py --rows 1000000
    scripts/with-postgres.sh sh -c \\
      '.venv/bin/python bench/cdr_to_rated.py --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from cdr_import import NOW, START, generate, reference, register
from ossbss import bootstrap, catalog, charging, tmf
from ossbss.kernel import Database, FixedClock, Period
from ossbss.usage.cdr import import_file
from ossbss.usage.models import UsageRecord

LAUNCHED = {"lifecycleStatus": "Launched", "validFor": {"startDateTime": "2025-01-01T00:00:00Z"}}


def _money(value: str) -> dict[str, object]:
    return {"unit": "EUR", "value": float(value)}


def voice_offering(database: Database) -> str:
    """An offering whose voice tariff uses every rating feature the batch path has."""
    now = NOW
    with database.unit_of_work() as session:
        price = tmf.create_resource(
            session,
            resource=catalog.PRODUCT_OFFERING_PRICE,
            payload={
                "name": "Calls beyond 100 min",
                **LAUNCHED,
                "priceType": "usage",
                "unitOfMeasure": {"amount": 1, "units": "min"},
                "includedQuantity": {"amount": 100, "units": "min"},
                "billingIncrement": {"first": 60, "next": 60},
                "destinationZone": [
                    {"name": "national", "prefixes": ["31"], "price": _money("0.05")},
                    {"name": "Amsterdam", "prefixes": ["3120"], "price": _money("0.04")},
                    {"name": "premium", "prefixes": ["31209"], "price": _money("0.50")},
                ],
                "timeBand": [
                    {
                        "name": "weekend",
                        "weekdays": ["sat", "sun"],
                        "startTime": "00:00",
                        "endTime": "24:00",
                        "percentage": 50,
                    }
                ],
                "timeZone": "Europe/Amsterdam",
            },
            now=now,
        )
        offering = tmf.create_resource(
            session,
            resource=catalog.PRODUCT_OFFERING,
            payload={
                "name": "Voice",
                **LAUNCHED,
                "productOfferingPrice": [{"id": price["id"]}],
            },
            now=now,
        )
    return str(offering["id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subscribers", type=int, default=10_000)
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
        register(database, args.subscribers, voice_offering(database))
        ref_seconds = reference(database, path)
        began = time.perf_counter()
        import_file(database, FixedClock(NOW), path=path)
        imported = time.perf_counter()
        with database.unit_of_work() as session:
            summary = charging.rate_period(session, period=Period(START, NOW), now=NOW)
        seconds = time.perf_counter() - began
        with database.unit_of_work(write=False) as session:
            rated = session.scalar(
                select(func.count()).select_from(UsageRecord).where(UsageRecord.status == "rated")
            )
        assert rated == summary.rated == args.rows, (rated, summary)
        ours, ref = args.rows / seconds, args.rows / ref_seconds
        print(f"engine: {database.engine.dialect.name}, rows: {args.rows:,}")
        print(f"reference (polars read_csv + bare executemany): {ref:,.0f} records/s")
        print(
            f"CDR file -> rated usage: {ours:,.0f} records/s "
            f"(import {imported - began:.1f} s, rating {time.perf_counter() - imported:.1f} s)"
        )
        print(f"ratio to reference: {ours / ref:.2f}; amounts: {summary.amounts}")
        database.dispose()


if __name__ == "__main__":
    main()
