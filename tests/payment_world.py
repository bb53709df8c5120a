"""Helpers of the payment tests: billing accounts through TMF666, issued bills as billing
writes them (bill row, 'charge' ledger transaction, BillIssued event), and the invariant
that ties the ledger to the bills and payments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from ossbss import account, billing
from ossbss.billing.models import Bill
from ossbss.bootstrap import Platform
from ossbss.events.billing import BillIssued
from ossbss.kernel import publish
from ossbss.payment.models import Payment

PARTY = "/tmf-api/party/v4"
ACCOUNT = "/tmf-api/accountManagement/v4"
PAYMENT = "/tmf-api/paymentManagement/v4"


def billing_account(client: TestClient, currency: str = "EUR", **extra: Any) -> str:
    person = client.post(f"{PARTY}/individual", json={"givenName": "Ada", "familyName": "L"})
    assert person.status_code == 201, person.text
    body = {
        "name": "Ada's broadband",
        "currency": currency,
        "relatedParty": [
            {
                "id": person.json()["id"],
                "name": "Ada L",
                "role": "owner",
                "@referredType": "Individual",
            }
        ],
        **extra,
    }
    response = client.post(f"{ACCOUNT}/billingAccount", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def issue_bill(
    platform: Platform,
    account_id: str,
    bill_no: str,
    *,
    due: datetime,
    amount: int,
    currency: str = "EUR",
    deliver: bool = True,
) -> str:
    """An issued bill, as a bill run leaves it; ``deliver`` runs the event handlers (payment
    applies credit to it)."""
    bill_id = f"bill-{bill_no}"
    now = platform.clock.now()
    with platform.database.unit_of_work() as session:
        session.execute(
            insert(Bill),
            [
                {
                    "id": bill_id,
                    "bill_no": bill_no,
                    "kind": "regular",
                    "billing_account_id": account_id,
                    "state": billing.ISSUED,
                    "currency": currency,
                    "bill_date": due - timedelta(days=14),
                    "payment_due_date": due,
                    "amount_excl_tax_minor": amount,
                    "tax_minor": 0,
                    "amount_incl_tax_minor": amount,
                    "remaining_minor": amount,
                    "created_at": now,
                    "issued_at": now,
                    "updated_at": now,
                }
            ],
        )
        account.post_transaction(
            session,
            kind="charge",
            currency=currency,
            postings=[
                account.Posting(account_id, account.RECEIVABLE, amount),
                account.Posting(account_id, account.REVENUE, -amount),
            ],
            reference_type="bill",
            reference_id=bill_id,
            now=now,
        )
        publish(
            session,
            BillIssued(
                bill_id=bill_id,
                billing_account_id=account_id,
                currency=currency,
                amount_minor=amount,
                payment_due_date=due,
                occurred_at=now,
            ),
            now=now,
        )
    if deliver:
        platform.dispatcher.run_pending()
    return bill_id


def bill(platform: Platform, bill_id: str) -> tuple[str, int]:
    """(state, remaining) of a bill."""
    with platform.database.unit_of_work(write=False) as session:
        row = session.execute(
            select(Bill.state, Bill.remaining_minor).where(Bill.id == bill_id)
        ).one()
        return str(row[0]), int(row[1])


def balance(platform: Platform, account_id: str, currency: str = "EUR") -> int:
    with platform.database.unit_of_work(write=False) as session:
        return account.account_balance(session, billing_account_id=account_id).get(currency, 0)


def assert_ledger_matches(platform: Platform, account_id: str, currency: str = "EUR") -> None:
    """The ledger balance equals what the bills still ask minus the credit kept."""
    with platform.database.unit_of_work(write=False) as session:
        remaining = session.scalar(
            select(func.coalesce(func.sum(Bill.remaining_minor), 0)).where(
                Bill.billing_account_id == account_id, Bill.currency == currency
            )
        )
        credit = session.scalar(
            select(func.coalesce(func.sum(Payment.unallocated_minor), 0)).where(
                Payment.billing_account_id == account_id,
                Payment.currency == currency,
                Payment.status == "done",
            )
        )
        owed = account.account_balance(session, billing_account_id=account_id).get(currency, 0)
    assert owed == int(remaining or 0) - int(credit or 0)


def pay(client: TestClient, account_id: str, value: float, **extra: Any) -> Any:
    body = {
        "account": {"id": account_id},
        "totalAmount": {"unit": "EUR", "value": value},
        "paymentMethod": {"@type": "bankTransfer"},
        **extra,
    }
    return client.post(f"{PAYMENT}/payment", json=body)
