"""Bill charges at scale: ``billing.compute_charges`` over N accounts in chunks of 2,000 (as the
bill run calls it), each account with a product on the charge timeline (one in ten activated
mid-cycle with a one-time charge) and R rated usage records. Prints accounts/s and, measured in
the same run, the floor: merely reading the same timeline rows and usage records (no
grouping, no rules), as a ratio.

    .venv/bin/python bench/bill_charges.py --accounts 20000 --records 20
    scripts/with-postgres.sh sh -c \\
      '.venv/bin/python bench/bill_charges.py --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from ossbss import billing, bootstrap, catalog, tmf
from ossbss.account.models import BillingAccount
from ossbss.billing import AccountCharges
from ossbss.kernel import Database, Period
from ossbss.product_inventory.models import ChargePeriod
from ossbss.usage.models import UsageRecord

JANUARY = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
NOW = datetime(2026, 2, 2, tzinfo=UTC)
LAUNCHED = {"lifecycleStatus": "Launched", "validFor": {"startDateTime": "2025-01-01T00:00:00Z"}}
CHUNK = 2_000
BATCH = 20_000


def _offering(database: Database) -> tuple[str, str]:
    with database.unit_of_work() as session:
        price = tmf.create_resource(
            session,
            resource=catalog.PRODUCT_OFFERING_PRICE,
            payload={
                "name": "Fibre monthly",
                **LAUNCHED,
                "priceType": "recurring",
                "recurringChargePeriodType": "month",
                "price": {"unit": "EUR", "value": 30},
            },
            now=NOW,
        )
        offering = tmf.create_resource(
            session,
            resource=catalog.PRODUCT_OFFERING,
            payload={"name": "Fibre", **LAUNCHED, "productOfferingPrice": [{"id": price["id"]}]},
            now=NOW,
        )
    return str(offering["id"]), str(price["id"])


def _seed(database: Database, accounts: int, records: int) -> list[str]:
    offering_id, price_id = _offering(database)
    prices = [
        {
            "name": "Fibre monthly",
            "priceType": "recurring",
            "price": {"dutyFreeAmount": {"unit": "EUR", "value": 30}},
            "productOfferingPrice": {"id": price_id},
            "recurringChargePeriod": "month",
        }
    ]
    setup = {"name": "Installation", "priceType": "oneTime", **{"price": prices[0]["price"]}}
    ids = [f"acct-{n:07d}" for n in range(accounts)]
    before = datetime(2025, 12, 1, tzinfo=UTC)
    for start in range(0, accounts, BATCH):
        chunk = ids[start : start + BATCH]
        account_rows: list[dict[str, Any]] = []
        timeline: list[dict[str, Any]] = []
        usage: list[dict[str, Any]] = []
        for n, account_id in enumerate(chunk, start=start):
            account_rows.append(
                {
                    "id": account_id,
                    "body": {"name": account_id, "currency": "EUR", "state": "Active"},
                    "created_at": before,
                    "updated_at": before,
                    "name": account_id,
                    "state": "Active",
                    "currency": "EUR",
                }
            )
            fresh = n % 10 == 0
            began = datetime(2026, 1, 12, tzinfo=UTC) if fresh else before
            timeline.append(
                {
                    "product_id": f"prod-{n:07d}",
                    "billing_account_id": account_id,
                    "offering_id": offering_id,
                    "name": "Fibre",
                    "status": "active",
                    "prices": [*prices, setup] if fresh else prices,
                    "activated_at": began,
                    "valid_from": began,
                    "valid_to": None,
                }
            )
            for r in range(records):
                usage.append(
                    {
                        "id": f"u-{n}-{r}",
                        "record_key": f"k-{n}-{r}",
                        "kind": ("data", "voice", "sms")[r % 3],
                        "subscriber": f"s-{n}",
                        "started_at": datetime(2026, 1, 2, tzinfo=UTC) + timedelta(minutes=r),
                        "duration_seconds": 60,
                        "bytes_up": 0,
                        "bytes_down": 1_000_000,
                        "events": 1,
                        "source": "bench",
                        "status": "rated",
                        "body": {},
                        "created_at": NOW,
                        "updated_at": NOW,
                        "product_id": f"prod-{n:07d}",
                        "billing_account_id": account_id,
                        "offering_id": offering_id,
                        "amount": 123_456,
                        "scale": 6,
                        "currency": "EUR",
                        "rated_at": NOW - timedelta(hours=1),
                    }
                )
        with database.unit_of_work() as session:
            session.execute(insert(BillingAccount), account_rows)
            session.execute(insert(ChargePeriod), timeline)
            for offset in range(0, len(usage), BATCH):
                session.execute(insert(UsageRecord), usage[offset : offset + BATCH])
    return ids


def _floor(database: Database, ids: list[str]) -> float:
    """Read the same rows, nothing else: the timeline rows and the usage records' columns."""
    began = time.perf_counter()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with database.unit_of_work(write=False) as session:
            for part in range(0, len(chunk), 900):
                some = chunk[part : part + 900]
                session.execute(
                    select(ChargePeriod.product_id, ChargePeriod.prices).where(
                        ChargePeriod.billing_account_id.in_(some)
                    )
                ).all()
                session.execute(
                    select(
                        UsageRecord.billing_account_id,
                        UsageRecord.product_id,
                        UsageRecord.kind,
                        UsageRecord.amount,
                    ).where(UsageRecord.billing_account_id.in_(some))
                ).all()
    return time.perf_counter() - began


def _charges(database: Database, ids: list[str]) -> tuple[float, int, int]:
    began = time.perf_counter()
    lines = total = 0
    for start in range(0, len(ids), CHUNK):
        with database.unit_of_work(write=False) as session:
            results = billing.compute_charges(
                session, account_ids=ids[start : start + CHUNK], period=JANUARY, now=NOW
            )
        for result in results:
            assert isinstance(result, AccountCharges), result
            lines += len(result.lines)
            total += result.amount_incl_tax_minor
    return time.perf_counter() - began, lines, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--records", type=int, default=20, help="rated usage records per account")
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        database = Database(url)
        metadata = bootstrap.metadata()
        metadata.drop_all(database.engine)
        metadata.create_all(database.engine)
        seeded = time.perf_counter()
        ids = _seed(database, args.accounts, args.records)
        seeded = time.perf_counter() - seeded
        floor = _floor(database, ids)
        seconds, lines, total = _charges(database, ids)
        n = len(ids)
        print(
            f"engine: {database.engine.dialect.name}, accounts: {n:,}, "
            f"usage records: {n * args.records:,} (seeded in {seeded:.1f} s)"
        )
        print(f"floor (read the same rows): {n / floor:,.0f} accounts/s ({floor:.2f} s)")
        print(
            f"compute_charges: {n / seconds:,.0f} accounts/s ({seconds:.2f} s, {lines:,} lines, "
            f"{total / 100:,.2f} EUR incl. tax)"
        )
        print(
            f"ratio to floor: {seconds / floor:.2f}x the time; "
            f"100k accounts at this rate: {100_000 / (n / seconds):.0f} s"
        )
        database.dispose()


if __name__ == "__main__":
    main()
