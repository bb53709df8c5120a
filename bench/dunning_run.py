"""The dunning run: N billing accounts, each with an issued bill 7 days overdue, dunned at
D+7 (a case, an audit row, a notice and a hub event per account), then the same run again
(nothing to do). Prints accounts/s of both and the ratio to the floor measured in the same
run: merely reading the same rows (the open bills and each account's document).

    .venv/bin/python bench/dunning_run.py --accounts 5000
    scripts/with-postgres.sh sh -c \\
      '.venv/bin/python bench/dunning_run.py --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from ossbss import account, billing, bootstrap, party, payment, tmf
from ossbss.billing.models import Bill
from ossbss.kernel import Database

DUE = datetime(2026, 2, 10, tzinfo=UTC)
AS_OF = DUE + timedelta(days=7, hours=9)


def populate(database: Database, accounts: int) -> list[str]:
    with database.unit_of_work() as session:
        people = tmf.import_resources(
            session,
            resource=party.INDIVIDUAL,
            payloads=[{"givenName": "Bench", "familyName": f"{n}"} for n in range(accounts)],
            now=DUE - timedelta(days=30),
        )
        ids = tmf.import_resources(
            session,
            resource=account.BILLING_ACCOUNT,
            payloads=[
                {
                    "name": f"bench {n}",
                    "currency": "EUR",
                    "relatedParty": [
                        {
                            "id": person,
                            "name": f"Bench {n}",
                            "role": "owner",
                            "@referredType": "Individual",
                        }
                    ],
                }
                for n, person in enumerate(people)
            ],
            now=DUE - timedelta(days=30),
        )
        issued = DUE - timedelta(days=14)
        session.execute(
            insert(Bill),
            [
                {
                    "id": f"bill-{n}",
                    "bill_no": f"INV-2026-{n:06d}",
                    "kind": "regular",
                    "billing_account_id": account_id,
                    "state": billing.ISSUED,
                    "currency": "EUR",
                    "bill_date": issued,
                    "payment_due_date": DUE,
                    "amount_excl_tax_minor": 3000,
                    "tax_minor": 600,
                    "amount_incl_tax_minor": 3600,
                    "remaining_minor": 3600,
                    "created_at": issued,
                    "issued_at": issued,
                    "updated_at": issued,
                }
                for n, account_id in enumerate(ids)
            ],
        )
    return ids


def floor(database: Database) -> float:
    """Seconds to read what the run must read: every open bill, each account's document."""
    began = time.perf_counter()
    with database.unit_of_work(write=False) as session:
        for account_id in billing.open_bills_for(session, account_ids=None):
            account.get_billing_account(session, account_id=account_id)
    return time.perf_counter() - began


def timed_run(database: Database, policy: payment.DunningPolicy) -> tuple[float, int]:
    began = time.perf_counter()
    with database.unit_of_work() as session:
        report = payment.run_dunning(session, as_of=AS_OF, policy=policy)
    return time.perf_counter() - began, len(report.steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        database = Database(url)
        metadata = bootstrap.metadata()
        metadata.drop_all(database.engine)
        metadata.create_all(database.engine)
        populate(database, args.accounts)
        policy = payment.load_policy()
        reference = floor(database)
        first, steps = timed_run(database, policy)
        again, repeated = timed_run(database, policy)
        assert steps == args.accounts, steps
        assert repeated == 0, repeated
        n = args.accounts
        print(f"engine: {database.engine.dialect.name}, overdue accounts: {n:,}")
        print(f"floor (read open bills + account documents): {n / reference:,.0f} accounts/s")
        print(f"dunning run at D+7 (a reminder each): {n / first:,.0f} accounts/s")
        print(f"the same run again (nothing to do): {n / again:,.0f} accounts/s")
        ratios = f"first run {first / reference:.1f}x, repeat {again / reference:.1f}x"
        print(f"time as a multiple of the floor: {ratios}")
        database.dispose()


if __name__ == "__main__":
    main()
