"""A customer with an active product and an issued bill that goes overdue, for dunning tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ordering_world import World, add_item, order_body, place, settle
from ossbss import account, billing, bootstrap
from ossbss.billing.models import Bill
from ossbss.kernel import FixedClock, OutboxMessage
from ossbss.payment import DunningPolicy, DunningReport, load_policy, run_dunning

DUE = datetime(2026, 2, 10, tzinfo=UTC)
DUNNING = "/tmf-api/paymentManagement/v4/dunningCase"
POLICY: DunningPolicy = load_policy()


def day(n: int) -> datetime:
    """D+n: n days after the bill's due date (mid-morning)."""
    return DUE + timedelta(days=n, hours=9)


def active_product(client: TestClient, platform: bootstrap.Platform, world: World) -> str:
    order = place(client, platform, order_body(world, add_item(world)))
    assert order["state"] == "completed", order.get("note")
    return str(order["productOrderItem"][0]["product"]["id"])


def issue_bill(
    platform: bootstrap.Platform,
    account_id: str,
    *,
    amount: int = 3600,
    due: datetime = DUE,
    number: int = 1,
) -> str:
    """An issued bill (and its ledger charge), due on ``due``."""
    bill_id = f"bill-{account_id}-{number}"
    issued = due - timedelta(days=14)
    with platform.database.unit_of_work() as session:
        session.execute(
            insert(Bill),
            [
                {
                    "id": bill_id,
                    "bill_no": f"INV-2026-{number:06d}-{account_id[:6]}",
                    "kind": "regular",
                    "billing_account_id": account_id,
                    "state": billing.ISSUED,
                    "currency": "EUR",
                    "bill_date": issued,
                    "payment_due_date": due,
                    "amount_excl_tax_minor": amount - amount // 6,
                    "tax_minor": amount // 6,
                    "amount_incl_tax_minor": amount,
                    "remaining_minor": amount,
                    "created_at": issued,
                    "issued_at": issued,
                    "updated_at": issued,
                }
            ],
        )
        account.post_transaction(
            session,
            kind="charge",
            currency="EUR",
            postings=[
                account.Posting(account_id, account.RECEIVABLE, amount),
                account.Posting(account_id, account.REVENUE, -(amount - amount // 6)),
                account.Posting(account_id, account.TAX, -(amount // 6)),
            ],
            reference_type="bill",
            reference_id=bill_id,
            now=issued,
        )
    return bill_id


def pay(platform: bootstrap.Platform, account_id: str, bill_id: str, amount: int) -> None:
    """A payment as the payment room records it: the ledger, then the bill."""
    now = platform.clock.now()
    with platform.database.unit_of_work() as session:
        account.post_transaction(
            session,
            kind="payment",
            currency="EUR",
            postings=[
                account.Posting(account_id, account.CASH, amount),
                account.Posting(account_id, account.RECEIVABLE, -amount),
            ],
            reference_type="payment",
            reference_id=f"pay-{bill_id}-{amount}",
            now=now,
        )
        billing.apply_payment(session, bill_id=bill_id, amount_minor=amount, now=now)
    settle(platform)


def dun(platform: bootstrap.Platform, at: datetime) -> DunningReport:
    """A dunning run at ``at`` (the clock moved there too), then every reaction to it."""
    clock = platform.clock
    assert isinstance(clock, FixedClock)
    clock.set(at)
    with platform.database.unit_of_work() as session:
        report = run_dunning(session, as_of=at, policy=POLICY, now=at)
    settle(platform)
    return report


def events(session: Session, topic: str) -> list[dict[str, Any]]:
    query = select(OutboxMessage.payload).where(OutboxMessage.topic == topic)
    return list(session.scalars(query.order_by(OutboxMessage.pk)))
