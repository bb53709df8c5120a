"""Whatever happens — payments, overpayments, credit meeting new bills, refunds, duplicates,
held items applied — the ledger balance equals what the bills still ask minus the credit
kept, and no bill is ever paid below zero."""

from __future__ import annotations

import random
from contextlib import suppress
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import START
from ossbss import bootstrap, payment
from ossbss.billing.models import Bill
from ossbss.kernel import Money
from ossbss.kernel.errors import Conflict
from ossbss.payment.models import Payment
from payment_world import assert_ledger_matches, billing_account, issue_bill


def test_random_money_movements_keep_the_ledger_and_bills_in_step(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    rng = random.Random(5)
    accounts = [billing_account(client) for _ in range(3)]
    gateway = payment.FakeGateway()
    bills = 0
    for step in range(60):
        acc = rng.choice(accounts)
        now = platform.clock.now()
        action = rng.choice(["bill", "pay", "pay", "card", "refund", "credit-refund", "replay"])
        if action == "bill":
            bills += 1
            due = START + timedelta(days=rng.randint(-90, 30))
            issue_bill(platform, acc, f"INV-R-{bills}", due=due, amount=rng.randint(1, 90) * 100)
            continue
        # A refund of more than can be refunded is refused and its unit of work rolled back.
        with suppress(Conflict), platform.database.unit_of_work() as session:
            if action in ("pay", "card", "replay"):
                payment.record_payment(
                    session,
                    billing_account_id=acc,
                    amount=Money("EUR", rng.randint(1, 120) * 100 + rng.choice((0, 13, 50))),
                    method="card" if action == "card" else "bankTransfer",
                    token="tok_ok",
                    external_id=f"ext-{step % 7}" if action == "replay" else None,
                    now=now,
                    gateway=gateway,
                )
            else:
                done = list(
                    session.scalars(
                        select(Payment.id).where(
                            Payment.billing_account_id == acc, Payment.status == "done"
                        )
                    )
                )
                payment.refund(
                    session,
                    amount=Money("EUR", rng.randint(1, 60) * 100),
                    reason="random",
                    now=now,
                    gateway=gateway,
                    payment_id=rng.choice(done) if done and action == "refund" else None,
                    billing_account_id=acc,
                )
        for each in accounts:
            assert_ledger_matches(platform, each)
    with platform.database.unit_of_work(write=False) as session:
        remaining = list(session.scalars(select(Bill.remaining_minor)))
    assert all(r >= 0 for r in remaining)
    assert bills > 5
