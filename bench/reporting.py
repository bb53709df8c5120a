"""Reporting over a billed month: N accounts, each with one product (a monthly price), one
issued bill of three lines (recurring, usage, one-time) and five rated-and-billed usage
records; one product in a hundred is left off its bill (a leak to find).

Prints the time of each report and, measured in the same run, the floor: merely reading the
same rows (bills joined to their lines, product documents, the usage GROUP BY), as a ratio.

    .venv/bin/python bench/reporting.py                       # 10,000 accounts, SQLite
    .venv/bin/python bench/reporting.py --accounts 100000 --url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import configure_mappers

from ossbss import bootstrap, reporting
from ossbss.billing.models import Bill, BillLine
from ossbss.kernel import Database
from ossbss.kernel.time import Period
from ossbss.product_inventory.models import Product
from ossbss.usage.models import UsageRecord

JANUARY = Period(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
FEBRUARY = Period(JANUARY.end, datetime(2026, 3, 1, tzinfo=UTC))
BILLED_AT = datetime(2026, 2, 1, 6, tzinfo=UTC)
CHUNK = 5_000


def build(database: Database, accounts: int) -> None:
    bills: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    products: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for n in range(accounts):
        account, product, bill = f"acct-{n}", f"prod-{n}", f"bill-{n}"
        offering = f"offering-{n % 10}"
        products.append(
            {
                "id": product,
                "status": "active",
                "name": "Fibre",
                "offering_id": offering,
                "billing_account_id": account,
                "created_at": JANUARY.start,
                "updated_at": JANUARY.start,
                "body": {
                    "name": "Fibre",
                    "status": "active",
                    "startDate": "2025-12-01T00:00:00Z",
                    "productOffering": {"id": offering},
                    "billingAccount": {"id": account},
                    "productPrice": [
                        {
                            "priceType": "recurring",
                            "recurringChargePeriod": "week" if n % 3 == 0 else "month",
                            "price": {"dutyFreeAmount": {"unit": "EUR", "value": 30}},
                        }
                    ],
                },
            }
        )
        amounts = [("recurring", 3000), ("usage", 125 + n % 50), ("oneTime", 990)]
        if n % 100 == 0:
            amounts = amounts[1:]  # the leak
        excl = sum(amount for _, amount in amounts)
        bills.append(
            {
                "id": bill,
                "bill_no": f"INV-2026-{n + 1:06d}",
                "kind": "regular",
                "billing_account_id": account,
                "bill_run_id": None,
                "state": "settled" if n % 2 else "sent",
                "currency": "EUR",
                "period_start": JANUARY.start,
                "period_end": JANUARY.end,
                "bill_date": BILLED_AT,
                "payment_due_date": BILLED_AT + timedelta(days=14),
                "amount_excl_tax_minor": excl,
                "tax_minor": excl // 5,
                "amount_incl_tax_minor": excl + excl // 5,
                "remaining_minor": 0 if n % 2 else excl + excl // 5,
                "created_at": BILLED_AT,
                "issued_at": BILLED_AT,
                "updated_at": BILLED_AT,
            }
        )
        for number, (kind, amount) in enumerate(amounts, start=1):
            lines.append(
                {
                    "id": f"{bill}-{number}",
                    "bill_id": bill,
                    "line_no": number,
                    "product_id": product,
                    "product_name": "Fibre",
                    "offering_id": offering,
                    "type": kind,
                    "description": kind,
                    "period_start": JANUARY.start,
                    "period_end": JANUARY.end,
                    "amount_minor": amount,
                    "tax_rate": "20",
                    "tax_minor": amount // 5,
                }
            )
        for r in range(5):
            records.append(
                {
                    "id": uuid.uuid4().hex,
                    "record_key": f"{n}-{r}",
                    "kind": "data",
                    "subscriber": f"user-{n}",
                    "started_at": JANUARY.start + timedelta(days=r * 5, seconds=n),
                    "source": "radius",
                    "status": "billed",
                    "product_id": product,
                    "billing_account_id": account,
                    "offering_id": offering,
                    "amount": 250_000,
                    "scale": 6,
                    "currency": "EUR",
                    "rated_at": BILLED_AT - timedelta(hours=1),
                    "billed_at": BILLED_AT,
                    "created_at": JANUARY.start,
                    "updated_at": BILLED_AT,
                    "body": {"status": "billed"},
                }
            )
    with database.unit_of_work() as session:
        for table, rows in (
            (Product, products),
            (Bill, bills),
            (BillLine, lines),
            (UsageRecord, records),
        ):
            for start in range(0, len(rows), CHUNK):
                session.execute(insert(table), rows[start : start + CHUNK])


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.url or f"sqlite:///{Path(directory) / 'reporting.db'}"
        database = Database(url)
        bootstrap.metadata().drop_all(database.engine)
        bootstrap.metadata().create_all(database.engine)
        seconds, _ = timed(lambda: build(database, args.accounts))
        print(f"built {args.accounts:,} accounts in {seconds:.1f} s ({url.split(':')[0]})")
        configure_mappers()  # once per process, not a report's cost
        with database.unit_of_work(write=False) as s:
            floor, _ = timed(
                lambda: (
                    s.execute(
                        text(
                            "SELECT b.id, b.bill_date, b.kind, b.currency, b.remaining_minor, "
                            "l.type, l.offering_id, l.product_id, l.amount_minor "
                            "FROM billing_bill b JOIN billing_bill_line l ON l.bill_id = b.id"
                        )
                    ).all(),
                    s.execute(text("SELECT id, body FROM product_inventory_product")).all(),
                    s.execute(
                        text(
                            "SELECT status, currency, count(*), sum(amount) FROM usage_record "
                            "GROUP BY status, currency"
                        )
                    ).all(),
                )
            )
            reports = {
                "revenue": lambda: reporting.revenue_by_product(s, months=FEBRUARY),
                "mrr": lambda: reporting.mrr(s, at=JANUARY.end),
                "arpu": lambda: reporting.arpu(s, months=FEBRUARY),
                "aging": lambda: reporting.aging(s, as_of=BILLED_AT + timedelta(days=40)),
                "collection": lambda: reporting.collection_rate(s, months=FEBRUARY),
                "assurance": lambda: reporting.revenue_assurance(s, period=JANUARY),
            }
            total = 0.0
            for name, work in reports.items():
                seconds, result = timed(work)
                total += seconds
                what = f"{len(result.gaps)} gaps" if name == "assurance" else f"{len(result)} rows"
                print(f"{name:<11} {seconds:7.3f} s  ({what})")
            assurance = reporting.revenue_assurance(s, period=JANUARY)
            expected = (args.accounts + 99) // 100
            assert len(assurance.gaps) == expected, (len(assurance.gaps), expected)
        print(f"floor (read the same rows once): {floor:.3f} s")
        print(f"all six reports: {total:.3f} s = {total / floor:.1f}x the floor")
        database.dispose()


if __name__ == "__main__":
    main()
