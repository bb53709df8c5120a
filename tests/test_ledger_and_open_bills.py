"""The account ledger (double entry, append-only, balance derived) and billing's open-bill
door that payment uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from ossbss import account, billing
from ossbss.billing.models import Bill
from ossbss.bootstrap import Platform
from ossbss.kernel.errors import Conflict, InvalidInput

NOW = datetime(2026, 2, 1, tzinfo=UTC)


def _charge(account_id: str, total: int, tax: int) -> account.Transaction:
    return account.Transaction(
        "charge",
        "EUR",
        (
            account.Posting(account_id, account.RECEIVABLE, total),
            account.Posting(account_id, account.REVENUE, -(total - tax)),
            account.Posting(account_id, account.TAX, -tax),
        ),
        "bill",
        f"bill-{account_id}",
    )


def test_balance_is_the_sum_of_receivable_legs(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        account.post_transactions(
            session, transactions=[_charge("A", 1200, 200), _charge("B", 600, 100)], now=NOW
        )
        account.post_transaction(
            session,
            kind="payment",
            currency="EUR",
            postings=[
                account.Posting("A", account.CASH, 1500),
                account.Posting("A", account.RECEIVABLE, -1500),
            ],
            reference_type="payment",
            reference_id="p1",
            now=NOW,
        )
    with platform.database.unit_of_work() as session:
        assert account.account_balance(session, billing_account_id="A") == {"EUR": -300}
        assert account.account_balances(session) == {"A": {"EUR": -300}, "B": {"EUR": 600}}
        kinds = [line.kind for line in account.ledger_entries(session, billing_account_id="A")]
        assert kinds == ["charge", "payment"]


def test_unbalanced_transaction_is_refused_and_nothing_is_posted(platform: Platform) -> None:
    with pytest.raises(InvalidInput, match="Unbalanced"), platform.database.unit_of_work() as s:
        account.post_transaction(
            s,
            kind="payment",
            currency="EUR",
            postings=[
                account.Posting("A", account.CASH, 1000),
                account.Posting("A", account.RECEIVABLE, -999),
            ],
            reference_type="payment",
            reference_id="p1",
            now=NOW,
        )
    with platform.database.unit_of_work() as session:
        assert account.account_balance(session, billing_account_id="A") == {}


def _issued_bill(session: object, bill_id: str, due: datetime, amount: int) -> None:
    session.execute(  # type: ignore[attr-defined]
        insert(Bill),
        [
            {
                "id": bill_id,
                "bill_no": f"INV-{bill_id}",
                "kind": "regular",
                "billing_account_id": "A",
                "state": billing.ISSUED,
                "currency": "EUR",
                "bill_date": due - timedelta(days=14),
                "payment_due_date": due,
                "amount_excl_tax_minor": amount,
                "tax_minor": 0,
                "amount_incl_tax_minor": amount,
                "remaining_minor": amount,
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
    )


def test_open_bills_oldest_first_and_payment_states(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        _issued_bill(session, "new", NOW + timedelta(days=30), 500)
        _issued_bill(session, "old", NOW, 1000)
    with platform.database.unit_of_work() as session:
        assert [b.id for b in billing.open_bills(session, billing_account_id="A")] == ["old", "new"]
        assert billing.apply_payment(session, bill_id="old", amount_minor=400, now=NOW).state == (
            billing.PARTIALLY_PAID
        )
        assert billing.apply_payment(session, bill_id="old", amount_minor=600, now=NOW).state == (
            billing.SETTLED
        )
        with pytest.raises(Conflict):
            billing.apply_payment(session, bill_id="new", amount_minor=501, now=NOW)
        assert billing.find_bill(session, bill_no="INV-new") is not None
        assert [b.id for b in billing.open_bills(session, billing_account_id="A")] == ["new"]
        reopened = billing.reopen(session, bill_id="old", amount_minor=1000, now=NOW)
        assert (reopened.state, reopened.remaining_minor) == (billing.ISSUED, 1000)
