"""The bill run: N accounts with a product each and M rated usage records, billed for
January 2026 (compute charges, draft bills, approve = issue with numbers, ledger, usage marked
billed, BillIssued events). PDFs are rendered afterwards, in the background: not counted.

The floor, measured in the same run over the same database: the time to merely read the rows
the run needs (every billable usage record's columns, summed in the database, plus the
accounts and the product charge timelines fetched), and the ratio run / floor.

The world is generated with set-based SQL (bench/bill_run_world.py, not counted), then
ANALYZEd (a live database has statistics). The schema is dropped and created: use a
throwaway database.

    .venv/bin/python bench/bill_run.py --accounts 10000 --records 1000000
    scripts/with-postgres.sh sh -c '.venv/bin/python bench/bill_run.py \\
        --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

import bill_run_world as world
from ossbss import billing, bootstrap
from ossbss.kernel import Database, FixedClock, Period

RUN_AT = datetime(2026, 2, 2, 6, tzinfo=UTC)


def prepare(database: Database, *, accounts: int, records: int) -> float:
    metadata = bootstrap.metadata()
    metadata.drop_all(database.engine)
    metadata.create_all(database.engine)
    started = time.perf_counter()
    with database.engine.begin() as connection:
        world.generate(connection, accounts=accounts, records=records)
    with database.engine.connect() as connection:
        if database.is_sqlite:
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.commit()
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    return time.perf_counter() - started


def floor(database: Database) -> float:
    """Read what the run reads: the usage rows (summed by the database, every column the
    run needs), the accounts and the product charge timelines (fetched)."""
    started = time.perf_counter()
    with database.engine.connect() as connection:
        connection.execute(
            text(
                "SELECT count(*), count(DISTINCT billing_account_id), sum(amount), "
                "sum(bytes_up + bytes_down), sum(duration_seconds), sum(events), "
                "max(product_id), max(offering_id), max(kind), max(currency), max(scale) "
                "FROM usage_record WHERE status IN ('rated', 'rerated') "
                "AND started_at < :end AND rated_at <= :at"
            ),
            {
                "end": world.PERIOD_END.replace(tzinfo=None)
                if database.is_sqlite
                else world.PERIOD_END,
                "at": RUN_AT.replace(tzinfo=None) if database.is_sqlite else RUN_AT,
            },
        ).all()
        connection.execute(
            text("SELECT id, currency, bill_cycle_id, body FROM account_billing_account")
        ).all()
        connection.execute(
            text(
                "SELECT product_id, billing_account_id, offering_id, name, status, prices, "
                "activated_at, valid_from, valid_to FROM product_inventory_charge_period"
            )
        ).all()
    return time.perf_counter() - started


def _no_marking(session: Any, **_: Any) -> int:
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--chunk-size", type=int, default=billing.run.CHUNK_SIZE)
    parser.add_argument(
        "--skip-usage-marking",
        action="store_true",
        help="diagnostic: approve without marking the usage billed (what that UPDATE costs)",
    )
    parser.add_argument(
        "--database-url", help="a throwaway database (default: a temporary SQLite file)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bill_run.db'}"
        database = Database(url)
        try:
            generated = prepare(database, accounts=args.accounts, records=args.records)
            print(
                f"{database.engine.dialect.name}: {args.accounts:,} accounts, "
                f"{args.records:,} rated records generated in {generated:.1f} s (not counted)"
            )
            floor_seconds = floor(database)
            clock = FixedClock(RUN_AT)
            started = time.perf_counter()
            with database.unit_of_work() as session:
                run_id = billing.start_run(
                    session,
                    cycle_id="default",
                    period=Period(world.PERIOD_START, world.PERIOD_END),
                    now=clock.now(),
                )
            drafted = billing.run_bills(
                database, run_id=run_id, clock=clock, chunk_size=args.chunk_size
            )
            draft_seconds = time.perf_counter() - started
            issued = billing.approve_run(
                database,
                run_id=run_id,
                clock=clock,
                chunk_size=args.chunk_size,
                mark_billed=_no_marking if args.skip_usage_marking else None,
            )
            seconds = time.perf_counter() - started
        finally:
            database.dispose()
    expected = world.expected_total_excl_minor(accounts=args.accounts, records=args.records)
    totals = issued.totals["EUR"]
    assert drafted.bills == issued.bills_issued == args.accounts, issued
    assert totals.amount_excl_tax_minor == expected, (totals, expected)
    if args.skip_usage_marking:
        print("DIAGNOSTIC: usage not marked billed (not a valid bill run figure)")
    print(
        f"bill run: {seconds:.1f} s (draft {draft_seconds:.1f} s, approve "
        f"{seconds - draft_seconds:.1f} s), {args.accounts / seconds:,.0f} accounts/s, "
        f"{issued.bills_issued:,} bills issued, EUR {totals.amount_incl_tax_minor / 100:,.2f}"
    )
    print(
        f"floor (read the same rows): {floor_seconds:.2f} s; "
        f"run / floor = {seconds / floor_seconds:.1f}x"
    )


if __name__ == "__main__":
    main()
