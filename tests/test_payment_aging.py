"""Aging: the pure bucket rule, allocation rules, and the bulk read over accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from conftest import START
from ossbss import bootstrap, payment
from ossbss.payment.domain import Due, take_back
from payment_world import billing_account, issue_bill, pay

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-1, "current"),
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
        (400, "90+"),
    ],
)
def test_bucket_rule(days_past_due: int, bucket: str) -> None:
    assert payment.aging_bucket(AS_OF - timedelta(days=days_past_due), AS_OF) == bucket


def test_not_yet_due_by_an_hour_is_current() -> None:
    assert payment.aging_bucket(AS_OF + timedelta(hours=1), AS_OF) == "current"


@given(
    amount=st.integers(min_value=1, max_value=10**9),
    remaining=st.lists(st.integers(min_value=0, max_value=10**7), max_size=6),
)
def test_allocation_never_exceeds_what_is_due_or_paid(amount: int, remaining: list[int]) -> None:
    bills = [Due(f"b{i}", r) for i, r in enumerate(remaining)]
    parts, left = payment.allocate(amount, bills)
    assert sum(a for _, a in parts) + left == amount
    assert all(0 < a <= remaining[int(b[1:])] for b, a in parts)
    # oldest first: a bill is paid only when every older one is paid in full
    paid = dict(parts)
    for i, due in enumerate(remaining):
        if paid.get(f"b{i}", 0) < due:
            assert all(paid.get(f"b{j}", 0) == 0 for j in range(i + 1, len(remaining)))
            break


def test_refund_takes_credit_first_then_the_last_bill() -> None:
    assert take_back(70, 50, [("a", 100), ("b", 30)]) == (50, [("b", 20)])
    assert take_back(20, 0, [("a", 100), ("b", 30)]) == (0, [("b", 20)])


def test_aging_of_many_accounts_in_buckets_per_currency(
    client: TestClient, platform: bootstrap.Platform
) -> None:
    eur = billing_account(client)
    gbp = billing_account(client, currency="GBP")
    quiet = billing_account(client)
    issue_bill(platform, eur, "INV-A1", due=START - timedelta(days=100), amount=1000)
    issue_bill(platform, eur, "INV-A2", due=START - timedelta(days=45), amount=2000)
    issue_bill(platform, eur, "INV-A3", due=START + timedelta(days=5), amount=4000)
    issue_bill(platform, gbp, "INV-B1", due=START - timedelta(days=70), amount=800, currency="GBP")
    pay(client, eur, 5.0)  # 1000 -> 500 left on the oldest

    with platform.database.unit_of_work(write=False) as session:
        result = payment.aging(session, as_of=START)
        only = payment.aging(session, account_ids=[gbp], as_of=START)

    assert dict(result[eur].buckets["EUR"]) == {
        "current": 4000,
        "0-30": 0,
        "31-60": 2000,
        "61-90": 0,
        "90+": 500,
    }
    assert result[eur].balance == {"EUR": 6500}
    assert result[eur].total("EUR") == 6500
    assert result[gbp].buckets["GBP"]["61-90"] == 800
    assert quiet not in result
    assert list(only) == [gbp]
