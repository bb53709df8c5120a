"""Payment allocation: M payments recorded through ``record_payments`` in batches (what a
bank statement import does: one transaction per batch), each allocated to its account's
oldest open bills, with its ledger transaction, allocation rows and PaymentAllocated event.

The floor, measured in the same run on the same tables: bare bulk inserts of the same
number of payment rows, ledger legs and allocation rows, and the bill updates, in the same
batches. The ratio says what validation, idempotency, reading open bills and balances,
and the per-bill state change cost on top of merely writing the result.

    .venv/bin/python bench/payment_allocation.py                     # SQLite, 20,000 payments
    scripts/with-postgres.sh sh -c \\
      '.venv/bin/python bench/payment_allocation.py --database-url "$OSSBSS_TEST_DATABASE_URL"'
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update

from ossbss import account, billing, bootstrap, payment
from ossbss.account.models import BillingAccount, LedgerEntry
from ossbss.billing.models import Bill
from ossbss.kernel import Database, Money, new_id
from ossbss.kernel.outbox import OutboxMessage
from ossbss.payment.models import Allocation, Payment, table

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def seed(database: Database, accounts: int, bills: int) -> list[str]:
    """Accounts with ``bills`` issued bills each (bulk-inserted) and their charges."""
    ids = [f"acc-{n:07d}" for n in range(accounts)]
    with database.unit_of_work() as session:
        session.execute(
            insert(BillingAccount),
            [
                {
                    "id": a,
                    "body": {"name": a, "currency": "EUR", "state": "Active"},
                    "created_at": NOW,
                    "updated_at": NOW,
                    "name": a,
                    "state": "Active",
                    "currency": "EUR",
                    "owner_party_id": None,
                    "credit_limit_minor": None,
                }
                for a in ids
            ],
        )
        rows: list[dict[str, Any]] = []
        charges: list[account.Transaction] = []
        for a in ids:
            for b in range(bills):
                due = NOW - timedelta(days=30 * (bills - b))
                bill_id = f"{a}-b{b}"
                rows.append(
                    {
                        "id": bill_id,
                        "bill_no": f"INV-{a[4:]}-{b}",
                        "kind": "regular",
                        "billing_account_id": a,
                        "state": billing.ISSUED,
                        "currency": "EUR",
                        "bill_date": due - timedelta(days=14),
                        "payment_due_date": due,
                        "amount_excl_tax_minor": 5000,
                        "tax_minor": 1000,
                        "amount_incl_tax_minor": 6000,
                        "remaining_minor": 6000,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
                charges.append(
                    account.Transaction(
                        "charge",
                        "EUR",
                        (
                            account.Posting(a, account.RECEIVABLE, 6000),
                            account.Posting(a, account.REVENUE, -5000),
                            account.Posting(a, account.TAX, -1000),
                        ),
                        "bill",
                        bill_id,
                    )
                )
        session.execute(insert(Bill), rows)
        account.post_transactions(session, transactions=charges, now=NOW)
    return ids


def requests(ids: list[str], count: int, seed_value: int) -> list[payment.PaymentRequest]:
    """Payments spread over the accounts: most pay part of a bill, some a bill and a half."""
    rng = random.Random(seed_value)
    return [
        payment.PaymentRequest(
            billing_account_id=ids[n % len(ids)],
            amount=Money("EUR", rng.choice((1500, 2500, 6000, 9000))),
            method=payment.BANK_TRANSFER,
            received_at=NOW,
            reference=f"statement line {n}",
            external_id=f"bank:{seed_value}:{n}",
            source="csv",
        )
        for n in range(count)
    ]


def floor(database: Database, ids: list[str], count: int, batch: int) -> tuple[float, float]:
    """Bare bulk writes of what ``count`` payments leave behind, then removed again."""
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, count, batch):
        with database.unit_of_work() as session:
            payments, legs, allocations, bills = [], [], [], []
            for n in range(start, min(start + batch, count)):
                a, pid = ids[n % len(ids)], new_id()
                payments.append(
                    {
                        "id": pid,
                        "external_id": f"floor:{n}",
                        "billing_account_id": a,
                        "method": "bankTransfer",
                        "currency": "EUR",
                        "amount_minor": 1500,
                        "unallocated_minor": 0,
                        "refunded_minor": 0,
                        "status": "done",
                        "status_reason": None,
                        "reference": None,
                        "source": "csv",
                        "payer_name": None,
                        "method_token": None,
                        "gateway_reference": None,
                        "received_at": NOW,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
                for ledger, amount in ((account.CASH, 1500), (account.RECEIVABLE, -1500)):
                    legs.append(
                        {
                            "transaction_id": pid,
                            "kind": "payment",
                            "billing_account_id": a,
                            "ledger": ledger,
                            "currency": "EUR",
                            "amount_minor": amount,
                            "reference_type": "payment",
                            "reference_id": pid,
                            "description": "",
                            "posted_at": NOW,
                        }
                    )
                allocations.append(
                    {"payment_id": pid, "bill_id": f"{a}-b0", "amount_minor": 0, "created_at": NOW}
                )
                bills.append({"b_id": f"{a}-b0", "b_state": billing.ISSUED})
            session.execute(insert(table(Payment)), payments)
            session.execute(insert(table(LedgerEntry)), legs)
            session.execute(insert(table(Allocation)), allocations)
            session.connection().execute(
                update(Bill.__table__)
                .where(Bill.__table__.c.id == bindparam("b_id"))
                .values(state=bindparam("b_state"), updated_at=NOW),
                bills,
            )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with database.unit_of_work() as session:
        session.execute(delete(Allocation))
        session.execute(delete(LedgerEntry).where(LedgerEntry.kind == "payment"))
        session.execute(delete(Payment))
    return seconds, cpu


def run(database: Database, todo: list[payment.PaymentRequest], batch: int) -> tuple[float, float]:
    """Wall and CPU seconds (this process's) to record ``todo``: on a shared machine the CPU
    time is the steadier figure of what the work costs."""
    gateway = payment.FakeGateway()
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(todo), batch):
        with database.unit_of_work() as session:
            payment.record_payments(
                session, requests=todo[start : start + batch], now=NOW, gateway=gateway
            )
    return time.perf_counter() - started, time.process_time() - cpu


def check(database: Database, ids: list[str]) -> None:
    """The ledger still equals what the bills ask minus the credit kept, for every account."""
    with database.unit_of_work(write=False) as session:
        balances = account.account_balances(session)
        remaining = dict(
            session.execute(
                select(Bill.billing_account_id, func.sum(Bill.remaining_minor)).group_by(
                    Bill.billing_account_id
                )
            ).all()
        )
        credit = dict(
            session.execute(
                select(Payment.billing_account_id, func.sum(Payment.unallocated_minor)).group_by(
                    Payment.billing_account_id
                )
            ).all()
        )
    wrong = [
        a
        for a in ids
        if balances.get(a, {}).get("EUR", 0) != int(remaining.get(a) or 0) - int(credit.get(a) or 0)
    ]
    assert not wrong, f"ledger and bills disagree for {len(wrong)} accounts, e.g. {wrong[:3]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--bills", type=int, default=3, help="open bills per account")
    parser.add_argument("--payments", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="payments per transaction")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        database = Database(url)
        metadata = bootstrap.metadata()
        metadata.drop_all(database.engine)
        metadata.create_all(database.engine)
        ids = seed(database, args.accounts, args.bills)
        floor_seconds, floor_cpu = floor(database, ids, args.payments, args.batch)
        todo = requests(ids, args.payments, 1)
        seconds, cpu = run(database, todo, args.batch)
        replayed, _ = run(database, todo[: args.batch], args.batch)  # duplicates: nothing applied
        check(database, ids)
        with database.unit_of_work(write=False) as session:
            paid = session.scalar(select(func.count()).select_from(Payment))
            events = session.scalar(
                select(func.count()).where(OutboxMessage.topic == "payment.payment-allocated")
            )
            settled = session.scalar(select(func.count()).where(Bill.state == billing.SETTLED))
        assert paid == args.payments, paid
        assert events == args.payments, events
        rate, cpu_rate = args.payments / seconds, args.payments / cpu
        engine = database.engine.dialect.name
        print(
            f"{engine}: {args.payments:,} payments over {args.accounts:,} accounts x "
            f"{args.bills} bills, batches of {args.batch} ({settled:,} bills settled):\n"
            f"  wall {seconds:.2f} s = {rate:,.0f} payments/s; "
            f"CPU {cpu:.2f} s = {cpu_rate:,.0f} payments per CPU-second"
        )
        print(
            "floor (bare bulk inserts of the same payment, ledger and allocation rows + the "
            f"bill updates):\n  wall {floor_seconds:.2f} s = "
            f"{args.payments / floor_seconds:,.0f}/s;"
            f" CPU {floor_cpu:.2f} s; ratio wall {seconds / floor_seconds:.1f}x, "
            f"CPU {cpu / floor_cpu:.1f}x"
        )
        print(
            f"a batch of {args.batch} replayed (all duplicates, nothing applied): "
            f"{replayed * 1000:.0f} ms"
        )
        print(f"target >= 2,000 payments/s (wall): {'met' if rate >= 2000 else 'NOT met'}")
        database.dispose()


if __name__ == "__main__":
    main()
